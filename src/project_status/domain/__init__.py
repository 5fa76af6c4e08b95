"""Pure domain: enums, errors, Pydantic contracts and rules. Imports nothing else of the project."""
