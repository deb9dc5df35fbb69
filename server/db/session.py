"""Engine and sessions, with the SQLite settings that make concurrent access safe."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from server.db.models import SyncState


def make_engine(database_url: str, echo: bool = False) -> Engine:
    """SQLite: WAL, busy timeout, foreign keys, and write transactions that take the write lock
    at their first statement (``BEGIN IMMEDIATE``), so two writers queue instead of failing.
    PostgreSQL: a plain pool; writers queue on the ``sync_state`` row lock."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=8,
            max_overflow=8,
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    # pool_recycle rather than pre-ping: a ping is one more round trip on every checkout.
    return create_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_recycle=1800)


def _sqlite_on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Take transaction control away from pysqlite so the "begin" hook decides.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(engine, expire_on_commit=False)
    event.listen(factory, "before_commit", _write_back_versions)
    event.listen(factory, "after_commit", _forget_allocator)
    event.listen(factory, "after_rollback", _forget_allocator)
    return factory


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


@contextmanager
def write_session(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose transaction starts with the global write lock (see ``SyncState``)."""
    session = factory()
    try:
        bind = session.get_bind()
        if bind.dialect.name == "sqlite":
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


_NEXT = "bannette.next_version"
_WRITTEN = "bannette.written_version"


def next_versions(session: Session, count: int = 1) -> int:
    """Reserves ``count`` versions and returns the first.

    Inside ``lock_writes`` the lock is already held, so versions are handed out in memory and
    the counter is written back once at commit (one statement instead of one per row). Outside,
    the counter row is updated at once, which takes the lock that orders writers."""
    if _NEXT in session.info:
        first = int(session.info[_NEXT])
        session.info[_NEXT] = first + count
        return first
    new_max = session.execute(
        update(SyncState)
        .where(SyncState.id == 1)
        .values(version=SyncState.version + count)
        .returning(SyncState.version)
    ).scalar_one()
    return int(new_max) - count + 1


def lock_writes(session: Session) -> None:
    """Takes the writer lock (without consuming a version) and starts the in-memory allocator."""
    current = session.execute(
        update(SyncState)
        .where(SyncState.id == 1)
        .values(version=SyncState.version)
        .returning(SyncState.version)
    ).scalar_one()
    session.info[_NEXT] = int(current) + 1
    session.info[_WRITTEN] = int(current) + 1


def _write_back_versions(session: Session) -> None:
    """``before_commit``: stores the last version handed out, in the same transaction.

    A savepoint's commit (one per pushed mutation) fires this too: only the outermost commit
    writes, once for the whole batch."""
    if session.in_nested_transaction():
        return
    next_version = session.info.get(_NEXT)
    if next_version is not None and next_version != session.info.get(_WRITTEN):
        session.execute(
            update(SyncState).where(SyncState.id == 1).values(version=int(next_version) - 1)
        )
        session.info[_WRITTEN] = next_version


def _forget_allocator(session: Session, *_args: Any) -> None:
    """After commit or rollback the lock is gone: later versions must take it again.

    Not after a savepoint's end (SQLAlchemy fires the same events for it): the transaction, and
    its lock, go on. Forgetting there made every later version of a pushed batch one more
    UPDATE of the counter, flushing the session each time (13 ms a mutation). Versions handed
    out in a savepoint rolled back are simply never used: a gap, which pulls allow."""
    if session.in_transaction():
        return
    session.info.pop(_NEXT, None)
    session.info.pop(_WRITTEN, None)


def allocated_versions(session: Session) -> int | None:
    """Where the in-memory allocator stands (None outside ``lock_writes``): a change of it
    means versions were handed out."""
    value = session.info.get(_NEXT)
    return None if value is None else int(value)


def current_version(session: Session) -> int:
    return int(session.execute(select(SyncState.version).where(SyncState.id == 1)).scalar_one())


def current_epoch(session: Session) -> str:
    return str(session.execute(select(SyncState.epoch).where(SyncState.id == 1)).scalar_one())
