"""The MCP server: thin wiring of the service layer to MCP tools."""
