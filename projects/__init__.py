"""Teams, role grants, projects, MLTRL cards, the level catalog, permissions and audit."""
