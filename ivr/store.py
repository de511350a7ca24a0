"""The store: language preferences, SMS opt-outs, SMS paging and anonymous usage events.

Every method takes a phone number and keeps only its keyed hash, so no caller of this module
can put a number in the database by mistake.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from tenacity import retry, retry_if_exception, stop_after_delay, wait_fixed

from ivr.events import LanguageChoice, UsageEvent
from ivr.journal import OptOutJournal
from ivr.security import NumberHasher
from ivr.sms.conversation import Conversation

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# As long as SQLite's busy timeout: how long a new connection waits for another to switch to WAL.
WAL_SWITCH_SECONDS = 10

metadata = sa.MetaData()

caller_preferences = sa.Table(
    "caller_preferences",
    metadata,
    sa.Column("number_hash", sa.String(64), primary_key=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

sms_opt_outs = sa.Table(
    "sms_opt_outs",
    metadata,
    sa.Column("number_hash", sa.String(64), primary_key=True),
    sa.Column("opted_out", sa.Boolean, nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
)

sms_conversations = sa.Table(
    "sms_conversations",
    metadata,
    sa.Column("number_hash", sa.String(64), primary_key=True),
    sa.Column("topic_id", sa.String(64)),
    sa.Column("next_part", sa.Integer, nullable=False, default=0),
    sa.Column("last_message_sid", sa.String(64)),
    sa.Column("last_reply", sa.Text),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

usage_events = sa.Table(
    "usage_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("channel", sa.String(8), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("topic", sa.String(64)),
    sa.Column("language", sa.String(8)),
    sa.Column("detail", sa.String(200)),
    sa.Column("session", sa.String(16), index=True),  # keyed hash of a CallSid, never a number
)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SmsState:
    """What the line knows about a texter: opt-out, language, and the conversation."""

    opted_out: bool
    language: str | None
    conversation: Conversation | None


def create_engine(url: str) -> Engine:
    """An engine for url whose commits do not wait for the disk unless a write asks (_durably).

    SQLite gets WAL and a busy timeout for several workers. Bookkeeping is most of what the line
    writes, and an fsync a commit would be most of its cost; opt-outs and opt-ins pay for one.
    """
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 10})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
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


class Store:
    """Reads and writes the line's records, keyed by the hash of a phone number."""

    def __init__(
        self, engine: Engine, hasher: NumberHasher, journal: OptOutJournal | None = None
    ) -> None:
        self.engine = engine
        self._hash = hasher
        self._journal = journal

    def number_key(self, number: str) -> str:
        """The keyed hash that stands for number, for keys kept outside the database."""
        return self._hash(number)

    def ping(self) -> bool:
        """True when the database answers."""
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError:
            return False
        return True

    def language_for(self, number: str) -> str | None:
        """The language this number chose before, if any."""
        with self.engine.connect() as connection:
            return connection.execute(_LANGUAGE, {"key": self._hash(number)}).scalar()

    def set_language(self, number: str, language: str) -> None:
        """Remember the language this number chose (bookkeeping: see create_engine)."""
        self.write_bookkeeping(languages=[LanguageChoice(number, language)])

    def is_opted_out(self, number: str) -> bool:
        """True when this number has opted out of text messages and not opted back in."""
        key = self._hash(number)
        if self._journaled_opt_out(key):
            return True
        with self.engine.connect() as connection:
            return bool(connection.execute(_OPTED_OUT, {"key": key}).scalar())

    def set_opted_out(self, number: str, opted_out: bool) -> None:
        """Record an opt-out or opt-in durably before returning: in the database, or else
        (for an opt-out) in the local journal until the database answers again."""
        key = self._hash(number)
        try:
            self._write_opt_out(key, opted_out)
        except sa.exc.SQLAlchemyError:
            if not (self._journal and opted_out):
                raise
            self._journal.append(key, opted_out)
            log.warning("The database refused an opt-out; it is kept in the local journal.")

    def replay_journal(self) -> int:
        """Write journaled opt-outs to the database; how many (0 when there are none)."""
        if not self._journal:
            return 0
        return self._journal.replay(self._write_opt_out)

    def _write_opt_out(self, key: str, opted_out: bool) -> None:
        row = {"number_hash": key, "opted_out": opted_out, "changed_at": _now()}
        with self._durably() as connection:
            _upsert_on(connection, sms_opt_outs, row)

    def _journaled_opt_out(self, key: str) -> bool:
        """True when the journal holds an opt-out for key; replays the journal when it can."""
        if not (self._journal and self._journal.waiting()):
            return False
        self._journal.refresh()  # any worker may have written it
        pending = self._journal.pending.get(key, False)
        try:
            self.replay_journal()
        except sa.exc.SQLAlchemyError:
            pass  # still down: the journal keeps counting
        return pending

    def conversation(self, number: str) -> Conversation | None:
        """Where this number's SMS conversation stands, if it has one."""
        with self.engine.connect() as connection:
            row = connection.execute(_CONVERSATION, {"key": self._hash(number)}).one_or_none()
        return Conversation(*row) if row else None

    def save_conversation(self, number: str, conversation: Conversation) -> None:
        """Remember where this number's SMS conversation stands."""
        self._upsert(sms_conversations, _conversation_row(self._hash(number), conversation))

    def sms_state(self, number: str) -> SmsState:
        """Opt-out, language and conversation of a number, read together on one connection."""
        key = self._hash(number)
        journaled = self._journaled_opt_out(key)
        with self.engine.connect() as connection:
            opted_out, language, *row = connection.execute(_SMS_STATE, {"key": key}).one()
        opted_out = opted_out or journaled
        conversation = Conversation(*row) if row[1] is not None else None  # next_part is set
        return SmsState(bool(opted_out), language, conversation)

    def save_sms_turn(
        self,
        number: str,
        event: UsageEvent,
        conversation: Conversation | None = None,
        language: str | None = None,
    ) -> None:
        """Record a texting turn in one transaction: the event, and the paging and language.

        Bookkeeping, so the commit does not wait for the disk (see create_engine).
        """
        key = self._hash(number)
        with self.engine.begin() as connection:
            if conversation:
                _upsert_on(connection, sms_conversations, _conversation_row(key, conversation))
            if language:
                row = _language_row(key, LanguageChoice(number, language))
                connection.execute(_language_upsert(connection.dialect.name), row)
            connection.execute(usage_events.insert(), self._event_row(event))

    def record_event(
        self,
        channel: str,
        kind: str,
        *,
        topic: str | None = None,
        language: str | None = None,
        detail: str | None = None,
        call_sid: str | None = None,
    ) -> None:
        """Record one anonymous usage event, what was asked and never who asked (bookkeeping)."""
        self.write_bookkeeping([UsageEvent(channel, kind, topic, language, detail, call_sid)])

    def write_bookkeeping(
        self, events: Sequence[UsageEvent] = (), languages: Sequence[LanguageChoice] = ()
    ) -> None:
        """Record usage events and language choices in one transaction.

        Bookkeeping, so the commit does not wait for the disk (see create_engine). Choices may
        arrive late (queued in a worker while a text set the language in another): a number's
        stored language changes only for a choice made after the one it holds.
        """
        latest: dict[str, LanguageChoice] = {}
        for choice in languages:
            key = self._hash(choice.number)
            if key not in latest or latest[key].chosen_at <= choice.chosen_at:
                latest[key] = choice
        with self.engine.begin() as connection:
            if latest:
                rows = [_language_row(key, choice) for key, choice in latest.items()]
                connection.execute(_language_upsert(connection.dialect.name), rows)
            if events:
                connection.execute(usage_events.insert(), [self._event_row(e) for e in events])

    def last_event(self, call_sid: str) -> tuple[str, str | None] | None:
        """The (kind, topic) of the latest event recorded during a call, if any."""
        session = self._hash.token(call_sid)[:16]
        with self.engine.connect() as connection:
            row = connection.execute(_LAST_EVENT, {"session": session}).one_or_none()
        return (row.kind, row.topic) if row else None

    def topic_counts(self) -> dict[tuple[str, str], int]:
        """How often each (channel, topic) was asked for."""
        table = usage_events
        query = (
            sa.select(table.c.channel, table.c.topic, sa.func.count())
            .where(table.c.topic.is_not(None))
            .group_by(table.c.channel, table.c.topic)
        )
        with self.engine.connect() as connection:
            return {(channel, topic): n for channel, topic, n in connection.execute(query)}

    def _event_row(self, event: UsageEvent) -> dict[str, object]:
        return {
            "occurred_at": event.occurred_at,
            "channel": event.channel,
            "kind": event.kind,
            "topic": event.topic,
            "language": event.language,
            "detail": event.detail[:200] if event.detail else None,
            "session": self._hash.token(event.call_sid)[:16] if event.call_sid else None,
        }

    @contextmanager
    def _durably(self) -> Iterator[sa.Connection]:
        """A transaction whose commit returns only once the disk has it: opt-outs and opt-ins.

        The setting is made inside the transaction, before its writes, so no failure can leave
        an opt-out committed without it; a failure to undo it afterwards only costs speed.
        """
        with self.engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            with connection.begin():
                # SQLite applies this at the commit; PostgreSQL resets it after the commit.
                connection.exec_driver_sql(
                    "PRAGMA synchronous=FULL" if sqlite else "SET LOCAL synchronous_commit TO ON"
                )
                yield connection
            if sqlite:
                # Back to the connection's setting (see create_engine), on the driver's own
                # connection as when it was made: a pragma, outside any transaction.
                with contextlib.suppress(sqlite3.Error):
                    connection.connection.dbapi_connection.execute("PRAGMA synchronous=NORMAL")  # type: ignore[union-attr]

    def _upsert(self, table: sa.Table, row: dict[str, object]) -> None:
        """Insert row, or update the row with the same primary key, in one transaction."""
        with self.engine.begin() as connection:
            _upsert_on(connection, table, row)


def _upsert_on(connection: sa.Connection, table: sa.Table, row: dict[str, object]) -> None:
    """Insert row, or update the row with the same primary key, in connection's transaction."""
    connection.execute(_upsert_statement(connection.dialect.name, table), row)


@functools.cache
def _upsert_statement(dialect: str, table: sa.Table) -> sa.Executable:
    """INSERT ... ON CONFLICT DO UPDATE for every column of table, built once per dialect."""
    key = [c.name for c in table.primary_key.columns]
    insert = _DIALECT_INSERT[dialect](table)
    update = {c.name: insert.excluded[c.name] for c in table.c if c.name not in key}
    return insert.on_conflict_do_update(index_elements=key, set_=update)


@functools.cache
def _language_upsert(dialect: str) -> sa.Executable:
    """Insert a language choice, or take its place only if it was made no earlier."""
    table = caller_preferences
    insert = _DIALECT_INSERT[dialect](table)
    return insert.on_conflict_do_update(
        index_elements=[table.c.number_hash],
        set_={"language": insert.excluded.language, "updated_at": insert.excluded.updated_at},
        where=table.c.updated_at <= insert.excluded.updated_at,
    )


def _language_row(number_hash: str, choice: LanguageChoice) -> dict[str, object]:
    return {"number_hash": number_hash, "language": choice.language, "updated_at": choice.chosen_at}


def _conversation_row(number_hash: str, conversation: Conversation) -> dict[str, object]:
    return {
        "number_hash": number_hash,
        "topic_id": conversation.topic_id,
        "next_part": conversation.next_part,
        "last_message_sid": conversation.last_message_sid,
        "last_reply": conversation.last_reply,
        "updated_at": _now(),
    }


def _by_key(column: sa.Column) -> sa.ScalarSelect:
    """The column's value in the row of the hashed number bound as "key", or NULL."""
    owner = column.table.c.number_hash
    return sa.select(column).where(owner == sa.bindparam("key")).scalar_subquery()


# Reads built once: each is a primary-key look-up of the hashed number bound as "key".
_LANGUAGE = sa.select(caller_preferences.c.language).where(
    caller_preferences.c.number_hash == sa.bindparam("key")
)
_OPTED_OUT = sa.select(sms_opt_outs.c.opted_out).where(
    sms_opt_outs.c.number_hash == sa.bindparam("key")
)
_CONVERSATION = sa.select(
    sms_conversations.c.topic_id,
    sms_conversations.c.next_part,
    sms_conversations.c.last_message_sid,
    sms_conversations.c.last_reply,
).where(sms_conversations.c.number_hash == sa.bindparam("key"))
_LAST_EVENT = (
    sa.select(usage_events.c.kind, usage_events.c.topic)
    .where(usage_events.c.session == sa.bindparam("session"))
    # By when it happened: workers write their queued events in their own order.
    .order_by(usage_events.c.occurred_at.desc(), usage_events.c.id.desc())
    .limit(1)
)

# A texter's opt-out, language and conversation in one primary-key read of each table.
_SMS_STATE = sa.select(
    _by_key(sms_opt_outs.c.opted_out),
    _by_key(caller_preferences.c.language),
    _by_key(sms_conversations.c.topic_id),
    _by_key(sms_conversations.c.next_part),
    _by_key(sms_conversations.c.last_message_sid),
    _by_key(sms_conversations.c.last_reply),
)


# The two databases the line supports, each with its own INSERT ... ON CONFLICT.
_DIALECT_INSERT = {
    "sqlite": sqlite_insert,
    "postgresql": postgresql_insert,
}
