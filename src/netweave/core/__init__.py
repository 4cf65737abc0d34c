"""Use cases: access, inventory (and later jobs, runs, workflows, schedules, rules)."""
