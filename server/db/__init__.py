"""Database layer: models, engine/session, migrations and the global version counter."""
