"""Allow `python -m project_status`."""

from project_status.cli.main import main

main()
