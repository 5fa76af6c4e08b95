"""project-status: a shared, database-backed project status tracker for AI coding assistants."""

__version__ = "0.1.0"
