"""Bringing an installation of another tool in: eNMS (``enms``)."""
