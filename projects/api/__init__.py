"""The API's foundation (auth, errors, base views) and the projects app's endpoints."""
