"""Managers' portfolio dashboard: read-only selectors and views over everything else."""
