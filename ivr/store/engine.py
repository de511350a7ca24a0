"""Connecting to the database and bringing its schema up to date, one server at a time.

SQLite (WAL, a busy timeout, commits that do not wait for the disk) or PostgreSQL
(commits that do not wait either); the Store asks for a durable commit where one matters.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine
from tenacity import retry, retry_if_exception, stop_after_delay, wait_fixed

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# As long as SQLite's busy timeout: how long a new connection waits for another to switch to WAL.
WAL_SWITCH_SECONDS = 10


def create_engine(url: str) -> Engine:
    """An engine for url whose commits do not wait for the disk unless a write asks for it.

    SQLite gets WAL and a busy timeout for several workers. Bookkeeping is most of what the line
    writes, and an fsync a commit would be most of its cost; opt-outs and opt-ins pay for one.
    """
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 10})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=10000")
            _use_wal(cursor)
            # NORMAL in WAL mode: a crash of the line loses no commit, a power cut the latest.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]  # the driver the line ships
    if not url.startswith("postgresql"):
        raise ValueError("IVR_DATABASE_URL must be a sqlite:// or postgresql:// URL.")
    # Set for the session when it connects, so no ROLLBACK the pool sends can undo it.
    options = {"options": "-c synchronous_commit=off"}
    return sa.create_engine(url, pool_pre_ping=True, connect_args=options)


def _another_worker_is_switching(error: BaseException) -> bool:
    return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)


@retry(
    retry=retry_if_exception(_another_worker_is_switching),
    stop=stop_after_delay(WAL_SWITCH_SECONDS),
    wait=wait_fixed(0.01),
    reraise=True,
)
def _use_wal(cursor: sqlite3.Cursor) -> None:
    """Put the database in WAL mode, which the file keeps, waiting out another worker doing it.

    Workers starting together on a new file all try to switch it; SQLite refuses all but one at
    once ("database is locked") instead of calling the busy handler, as waiting could deadlock.
    Once the winner has switched, the pragma needs no lock, so trying again for a moment is safe.
    """
    cursor.execute("PRAGMA journal_mode=WAL")


def upgrade_schema(engine: Engine) -> None:
    """Create the schema, or bring it up to the newest migration, one server at a time."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        _lock_for_migration(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


# The key of the PostgreSQL advisory lock held while the schema is upgraded (any fixed number).
_MIGRATION_LOCK = 20_110_523


def _lock_for_migration(connection: sa.Connection) -> None:
    """Hold the database's write lock until the migration commits.

    Every gunicorn worker builds the app, so on a fresh database several upgrades start at once;
    without the lock they all see no tables, all create them, and all but one fail to boot.
    With it, the others wait, then find the schema at the newest migration and do nothing.
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock, taken before any read
    else:
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
