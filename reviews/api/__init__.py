"""API endpoints of the review workflow: request checks, the gate query."""
