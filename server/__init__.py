"""Reference central API of bannette (FastAPI + SQLAlchemy 2 + Alembic)."""
