"""Users, roles, API keys and login sessions."""
