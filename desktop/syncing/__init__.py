"""The desktop side of sync: the session (keyring), the status line, the worker thread.

``status`` and ``session`` are Qt-free; ``worker`` holds the QThread that runs
``sync.engine.SyncEngine`` with its own SQLite connection.
"""
