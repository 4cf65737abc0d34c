"""Foundation layer: settings, errors, secrets, logging. Imports nothing else from netweave."""
