"""Use cases: the product's API. The MCP server and the CLI are thin adapters over these."""
