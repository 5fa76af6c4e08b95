"""When PostgreSQL is down: the local mirror, the read fallback chain, the offline journal, sync."""
