"""Event-driven automation: REST triggers, syslog messages and the rules they fire."""
