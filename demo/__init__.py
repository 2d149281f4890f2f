"""The demo organisation: teams, people and projects with a real review history."""
