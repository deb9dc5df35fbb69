"""The ``Database`` handed to routers: explicit read and write sessions.

Writes are opened separately from reads because SQLite must know at ``BEGIN`` that a transaction
will write (``BEGIN IMMEDIATE``), otherwise two writers can deadlock instead of queueing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from server.db.session import lock_writes, make_engine, make_sessionmaker, write_session


class Database:
    def __init__(self, database_url: str, echo: bool = False) -> None:
        self.url = database_url
        self.engine: Engine = make_engine(database_url, echo=echo)
        self.sessions = make_sessionmaker(self.engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A consistent snapshot for reading; closing rolls the transaction back but leaves the
        loaded objects readable (detached, not expired)."""
        session = self.sessions()
        try:
            yield session
        finally:
            session.close()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that holds the global writer lock from its first statement."""
        with write_session(self.sessions) as session:
            lock_writes(session)
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
