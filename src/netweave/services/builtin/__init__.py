"""Built-in service types, registered as entry points like any third-party one."""
