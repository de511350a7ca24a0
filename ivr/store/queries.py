"""The Store: every read and write of the line's records, and the SQL they are made of.

Every method takes a phone number and keeps only its keyed hash, so no caller of this module
can put a number in the database by mistake.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sqlite3
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from ivr.events import (
    CALL_LOG_KINDS,
    COUNTED,
    COUNTED_BY_DEFAULT,
    STEP_KINDS,
    TEXT_CHANNELS,
    LanguageChoice,
    UsageEvent,
)
from ivr.journal import OptOutJournal
from ivr.security import NumberHasher
from ivr.sms.conversation import Conversation
from ivr.store.schema import (
    caller_preferences,
    sms_conversations,
    sms_opt_outs,
    unknown_words,
    usage_counts,
    usage_events,
    word_senders,
)

log = logging.getLogger(__name__)
_Read = TypeVar("_Read")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SmsState:
    """What the line knows about a texter: opt-out, language, and the conversation."""

    opted_out: bool
    language: str | None
    conversation: Conversation | None


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

    def opt_out_status(self, number: str) -> bool | None:
        """Whether number opted out; None (logged) when the opt-out list cannot be read."""
        return self._read_closed(self.is_opted_out, number)

    def may_text(self, number: str) -> bool:
        """True when the line may text number: it has not opted out, and the list could be read."""
        return self.opt_out_status(number) is False

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

    def sms_state(self, number: str) -> SmsState | None:
        """Opt-out, language and conversation of a number, read together on one connection.

        None (logged) when they cannot be read: then nothing may be sent to the number.
        """
        return self._read_closed(self._read_sms_state, number)

    def _read_sms_state(self, number: str) -> SmsState:
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
        conversation: Conversation | None = None,
        language: str | None = None,
        words: Sequence[str] = (),
    ) -> None:
        """Record a texting turn in one transaction: the paging and language, and the words of
        a text not understood (see _note_words). Its usage event goes through the bookkeeping.

        Bookkeeping, so the commit does not wait for the disk (see create_engine).
        """
        if not (conversation or language or words):
            return
        key = self._hash(number)
        with self.engine.begin() as connection:
            if conversation:
                _upsert_on(connection, sms_conversations, _conversation_row(key, conversation))
            if language:
                row = _language_row(key, LanguageChoice(number, language))
                connection.execute(_language_upsert(connection.dialect.name), row)
            if words:
                self._note_words(connection, key, words, _now().date())

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
                self._insert_events(connection, events)

    def call_events(self, call_sid: str) -> list[UsageEvent]:
        """The events recorded during a call, in the order they happened (no CallSid in them)."""
        return self.calls_events([call_sid]).get(call_sid, [])

    def calls_events(self, call_sids: Collection[str]) -> dict[str, list[UsageEvent]]:
        """The events recorded during each of these calls, by CallSid, in the order they
        happened (one query for them all; a call with none recorded is left out)."""
        sessions = {self._hash.token(sid)[:16]: sid for sid in call_sids if sid}
        if not sessions:
            return {}
        with self.engine.connect() as connection:
            rows = connection.execute(_CALL_EVENTS, {"sessions": list(sessions)}).all()
        found: dict[str, list[UsageEvent]] = {}
        # Unpacked as tuples: the writer reads every step of each call that ends in a batch.
        for session, kind, topic, language, detail, at, place, reached, part in rows:
            found.setdefault(sessions[session], []).append(
                UsageEvent(
                    "voice",
                    kind,
                    topic,
                    language,
                    detail,
                    occurred_at=at,
                    place=place,
                    reached=reached,
                    part=part,
                )
            )
        return found

    def _insert_events(self, connection: sa.Connection, events: Sequence[UsageEvent]) -> None:
        """Add the events to the counts by day the report reads, and keep one by one those a
        call's end is worked out from (CALL_LOG_KINDS)."""
        logged = [
            (event, event.call_sid)
            for event in events
            if event.call_sid and event.kind in CALL_LOG_KINDS
        ]
        calls = {sid for _, sid in logged}
        sessions = {sid: self._hash.token(sid)[:16] for sid in calls}  # each call's hash once
        rows = [_event_row(event, sessions[sid]) for event, sid in logged]
        _insert_many(connection, _EVENT_INSERT, _EVENT_COLUMNS, rows)
        counted = Counter(map(_count_key, events))
        counts = [(*key, n) for key, n in counted.items()]
        _insert_many(connection, _count_upsert(connection.dialect.name), _COUNT_COLUMNS, counts)

    def _note_words(
        self, connection: sa.Connection, number_key: str, words: Sequence[str], day: date
    ) -> None:
        """Count each word once per number: a keyed hash of (word, number) says if it has been.

        The hash is made from the word and the number's hash under the line's secret, so
        word_senders can tell neither the word nor the number, and unknown_words keeps no hash.
        """
        dialect = connection.dialect.name
        for word in words:
            token = self._hash.token(f"word {word} {number_key}")[:32]
            new = connection.execute(_sender_insert(dialect), {"token": token, "seen_on": day})
            row = {"word": word, "senders": 1 if new.rowcount else 0}
            connection.execute(_word_upsert(dialect), row | {"first_seen": day, "last_seen": day})

    def report_counts(
        self, since: date, until: date
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """What the report is made of, from since to until (both included), summed in SQL:
        calls ended and texts by day and language, and everything counted over the period."""
        table = usage_counts
        period = (table.c.day >= since, table.c.day <= until)
        per_day = (table.c.day, table.c.channel, table.c.kind, table.c.language)
        rest = [c for c in table.c if c.name not in ("day", "count")]
        daily = (
            sa.select(*per_day, sa.func.sum(table.c["count"]).label("count"))
            .where(
                *period,
                sa.or_(table.c.channel.in_(TEXT_CHANNELS), table.c.kind == "call-end"),
            )
            .group_by(*per_day)
        )
        overall = (
            sa.select(*rest, sa.func.sum(table.c["count"]).label("count"))
            .where(*period)
            .group_by(*rest)
        )
        with self.engine.connect() as connection:
            return (
                [dict(row._mapping) for row in connection.execute(daily)],
                [dict(row._mapping) for row in connection.execute(overall)],
            )

    def top_unknown_words(self, since: date, at_least: int, most: int) -> list[tuple[str, int]]:
        """Words not understood, sent by at least at_least numbers and last sent since since."""
        table = unknown_words
        query = (
            sa.select(table.c.word, table.c.senders)
            .where(table.c.senders >= at_least, table.c.last_seen >= since)
            .order_by(table.c.senders.desc(), table.c.word)
            .limit(most)
        )
        with self.engine.connect() as connection:
            return [(word, senders) for word, senders in connection.execute(query)]

    def prune_expired(self, retention_days: int) -> int:
        """Prune what is older than retention_days days (see prune_events); how many rows."""
        return self.prune_events(_now() - timedelta(days=retention_days))

    def prune_events(self, before: datetime, batch: int = 5000) -> int:
        """Delete usage events, counts and words older than before, batch rows a transaction.

        Each batch is its own short transaction, so the line's writes wait for none of it
        longer than a batch. How many rows went, in all.
        """
        removed = 0
        day = before.date()
        for statement in _prune_statements(before, day, batch):
            while True:
                with self.engine.begin() as connection:
                    gone = connection.execute(statement).rowcount or 0
                removed += gone
                if not gone:
                    break
        return removed

    def topic_counts(self) -> dict[tuple[str, str], int]:
        """How often each (channel, topic) was asked for (not counting a call's steps)."""
        table = usage_counts
        query = (
            sa.select(table.c.channel, table.c.topic, sa.func.sum(table.c["count"]))
            .where(table.c.topic != "", table.c.kind.not_in(STEP_KINDS))
            .group_by(table.c.channel, table.c.topic)
        )
        with self.engine.connect() as connection:
            return {(channel, topic): int(n) for channel, topic, n in connection.execute(query)}

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

    @staticmethod
    def _read_closed(read: Callable[[str], _Read], number: str) -> _Read | None:
        """read(number), or None when it fails in any way: the one fail-closed read of opt-outs.

        Closed, not open: a text to a number that said STOP breaks the law; a missed one does
        not. The failure is logged once, without the number.
        """
        try:
            return read(number)
        except Exception:  # any failure to read, whatever its type
            log.exception("Could not read the opt-out list; no text is sent.")
            return None

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
        "misses": conversation.misses,
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
    sms_conversations.c.misses,
).where(sms_conversations.c.number_hash == sa.bindparam("key"))
_CALL_EVENTS = (
    sa.select(
        usage_events.c.session,
        usage_events.c.kind,
        usage_events.c.topic,
        usage_events.c.language,
        usage_events.c.detail,
        usage_events.c.occurred_at,
        usage_events.c.place,
        usage_events.c.reached,
        usage_events.c.part,
    )
    .where(usage_events.c.session.in_(sa.bindparam("sessions", expanding=True)))
    # By when it happened: workers write their queued events in their own order.
    .order_by(usage_events.c.occurred_at, usage_events.c.id)
)


# The columns written of an event and of a count by day, in the tables' order.
_EVENT_COLUMNS = (
    "occurred_at",
    "channel",
    "kind",
    "topic",
    "language",
    "detail",
    "session",
    "place",
    "reached",
    "part",
)
_COUNT_COLUMNS = tuple(c.name for c in usage_counts.c)
_EVENT_INSERT = usage_events.insert()


def _event_row(event: UsageEvent, session: str) -> tuple[object, ...]:
    """An event as a row of usage_events (_EVENT_COLUMNS); session is its call's keyed hash."""
    return (
        event.occurred_at,
        event.channel,
        event.kind,
        event.topic,
        event.language,
        event.detail[:200] if event.detail else None,
        session,
        event.place,
        event.reached,
        event.part,
    )


def _count_key(event: UsageEvent) -> tuple[object, ...]:
    """The key an event is counted under by day (UTC), _COUNT_COLUMNS but the count: what the
    report reads of its kind (COUNTED), and "" (or 0) for the rest."""
    kept = COUNTED.get(event.kind, COUNTED_BY_DEFAULT)
    return (
        event.occurred_at.astimezone(UTC).date(),
        event.channel,
        event.kind,
        (event.language or "") if "language" in kept else "",
        (event.topic or "") if "topic" in kept else "",
        (event.detail or "")[:64] if "detail" in kept else "",
        (event.place or "") if "place" in kept else "",
        (event.reached or "") if "reached" in kept else "",
        (event.part or 0) if "part" in kept else 0,
    )


def _insert_many(
    connection: sa.Connection,
    statement: sa.Insert,
    columns: tuple[str, ...],
    rows: Sequence[tuple[object, ...]],
) -> None:
    """Run statement (an INSERT, or an upsert, of columns) for each row, in one executemany of
    the driver. SQLAlchemy's handling of each row's parameters took longer than the database
    took to insert it (docs/performance.md); the values still go to the driver as SQLAlchemy
    would send them, each through its column type's bind processor."""
    if not rows:
        return
    sql, processors = _many_statement(statement, connection.dialect, columns)
    if any(processors):
        rows = [
            tuple(
                value if process is None else process(value)
                for process, value in zip(processors, row, strict=True)
            )
            for row in rows
        ]
    if connection.dialect.positional:
        connection.exec_driver_sql(sql, rows)
    else:
        connection.exec_driver_sql(sql, [dict(zip(columns, row, strict=True)) for row in rows])


_Processor = Callable[[Any], Any] | None
_MANY: dict[tuple[sa.Insert, str, tuple[str, ...]], tuple[str, list[_Processor]]] = {}


def _many_statement(
    statement: sa.Insert, dialect: sa.Dialect, columns: tuple[str, ...]
) -> tuple[str, list[_Processor]]:
    """statement's SQL for dialect, with parameters for columns in their order, and each
    column type's bind processor (None where the driver takes the value as it is)."""
    key = (statement, dialect.name, columns)
    if key not in _MANY:
        compiled = statement.compile(dialect=dialect, column_keys=list(columns))
        if dialect.positional and tuple(compiled.positiontup or ()) != columns:
            raise ValueError(f"{columns} are not in the order of the statement's parameters")
        types = {column.name: column.type for column in statement.table.c}
        _MANY[key] = (
            compiled.string,
            [types[name].dialect_impl(dialect).bind_processor(dialect) for name in columns],
        )
    return _MANY[key]


@functools.cache
def _count_upsert(dialect: str) -> sa.Insert:
    """Add to a day's count, or start it."""
    insert = _DIALECT_INSERT[dialect](usage_counts)
    key = [c.name for c in usage_counts.primary_key.columns]
    return insert.on_conflict_do_update(
        index_elements=key, set_={"count": usage_counts.c.count + insert.excluded["count"]}
    )


@functools.cache
def _sender_insert(dialect: str) -> sa.Executable:
    """Note that a number sent a word, unless it was noted before."""
    insert = _DIALECT_INSERT[dialect](word_senders)
    return insert.on_conflict_do_nothing(index_elements=[word_senders.c.token])


@functools.cache
def _word_upsert(dialect: str) -> sa.Executable:
    """Count a word's new sender (senders 1) or only its latest day (senders 0)."""
    insert = _DIALECT_INSERT[dialect](unknown_words)
    return insert.on_conflict_do_update(
        index_elements=[unknown_words.c.word],
        set_={
            "senders": unknown_words.c.senders + insert.excluded.senders,
            "last_seen": insert.excluded.last_seen,
        },
    )


def _prune_statements(before: datetime, day: date, batch: int) -> list[sa.Executable]:
    """DELETEs of at most batch rows each, of everything kept from before that time."""
    events = usage_events
    old_events = sa.select(events.c.id).where(events.c.occurred_at < before).limit(batch)
    senders = word_senders
    old_senders = sa.select(senders.c.token).where(senders.c.seen_on < day).limit(batch)
    oldest_day = sa.select(sa.func.min(usage_counts.c.day)).scalar_subquery()
    return [
        events.delete().where(events.c.id.in_(old_events)),
        # A day's counts at a time: a day holds a few hundred rows at most.
        usage_counts.delete().where(usage_counts.c.day < day, usage_counts.c.day == oldest_day),
        senders.delete().where(senders.c.token.in_(old_senders)),
        unknown_words.delete().where(unknown_words.c.last_seen < day),
    ]


# A texter's opt-out, language and conversation in one primary-key read of each table.
_SMS_STATE = sa.select(
    _by_key(sms_opt_outs.c.opted_out),
    _by_key(caller_preferences.c.language),
    _by_key(sms_conversations.c.topic_id),
    _by_key(sms_conversations.c.next_part),
    _by_key(sms_conversations.c.last_message_sid),
    _by_key(sms_conversations.c.last_reply),
    _by_key(sms_conversations.c.misses),
)


# The two databases the line supports, each with its own INSERT ... ON CONFLICT.
# Both dialects' insert() builds an Insert with on_conflict_do_update and excluded.
_DIALECT_INSERT: dict[str, Any] = {
    "sqlite": sqlite_insert,
    "postgresql": postgresql_insert,
}
