"""Alembic environment and revisions, shipped inside the package so `migrate` works anywhere."""
