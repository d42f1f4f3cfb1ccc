"""Publishes specs/ for other language teams: `python -m publisher --help` (see README "For other teams")."""
