"""Automation use cases: service types, services and workflows, runs, configurations."""
