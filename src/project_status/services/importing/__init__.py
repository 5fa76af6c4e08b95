"""Importing the hand-kept status file and session prompts (DESIGN.md section 7)."""
