"""API endpoints of the gates app: CI-reported evidence."""
