"""Tasks: services and workflows started at a date, every interval, or on cron."""
