"""Gate policies, the check catalog, safe git access, check runs and their results."""
