"""Command line (Typer + Rich): serve, lab, db, user, inventory."""
