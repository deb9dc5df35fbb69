"""The local SQLite store: connection, migrations, repositories. Knows nothing of Qt."""
