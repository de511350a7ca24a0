"""The store keeps preferences, opt-outs, paging and events, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import logging
import multiprocessing
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from multiprocessing.synchronize import Barrier as BarrierType
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from ivr.events import LanguageChoice, UsageEvent
from ivr.journal import OptOutJournal
from ivr.security import NumberHasher
from ivr.sms.conversation import Conversation
from ivr.store import SmsState, Store, create_engine, upgrade_schema
from ivr.store.schema import usage_events

from .conftest import CALLER

OTHER = "+15551230002"


def test_language_preference(store: Store) -> None:
    assert store.language_for(CALLER) is None
    store.set_language(CALLER, "es")
    store.set_language(CALLER, "en")
    store.set_language(OTHER, "es")
    assert store.language_for(CALLER) == "en"
    assert store.language_for(OTHER) == "es"


def test_a_language_choice_that_arrives_late_does_not_undo_a_later_one(store: Store) -> None:
    earlier = LanguageChoice(CALLER, "en")  # chosen on a call, still queued in one worker
    store.save_sms_turn(CALLER, language="es")  # then a text
    store.write_bookkeeping(languages=[earlier])
    assert store.language_for(CALLER) == "es"
    store.write_bookkeeping(languages=[LanguageChoice(CALLER, "en"), earlier])
    assert store.language_for(CALLER) == "en"  # a newer choice does take its place


def test_opt_out_and_back_in(store: Store) -> None:
    assert not store.is_opted_out(CALLER)
    store.set_opted_out(CALLER, True)
    assert store.is_opted_out(CALLER)
    assert not store.is_opted_out(OTHER)
    store.set_opted_out(CALLER, False)
    assert not store.is_opted_out(CALLER)


def test_conversation_position(store: Store) -> None:
    assert store.conversation(CALLER) is None
    store.save_conversation(CALLER, Conversation("symptoms", 1, "SM1", "reply one"))
    store.save_conversation(CALLER, Conversation("symptoms", 2, "SM2", "reply two"))
    assert store.conversation(CALLER) == Conversation("symptoms", 2, "SM2", "reply two")


def test_usage_events_are_counted(store: Store) -> None:
    store.write_bookkeeping([UsageEvent("sms", "answer", topic="symptoms", language="en")])
    store.write_bookkeeping([UsageEvent("sms", "answer", topic="symptoms", language="es")])
    store.write_bookkeeping([UsageEvent("voice", "answer", topic="treatment", language="en")])
    store.write_bookkeeping([UsageEvent("voice", "call-ended", detail="x" * 500)])
    assert store.topic_counts() == {("sms", "symptoms"): 2, ("voice", "treatment"): 1}


def test_events_are_stored_exactly_as_sqlalchemy_would_store_them(store: Store) -> None:
    # The writer hands its rows to the driver itself; they must read like SQLAlchemy's own.
    at = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    step = UsageEvent("voice", "step", "symptoms", "es", "key", "CA1", at, "main", "answer", 2)
    store.write_bookkeeping([step])
    columns = ("occurred_at", "channel", "kind", "topic", "language", "detail", "place", "part")
    with store.engine.begin() as connection:
        connection.execute(usage_events.insert(), [{name: getattr(step, name) for name in columns}])
        as_text = ", ".join(f"CAST({name} AS TEXT)" for name in columns)
        stored = connection.execute(sa.text(f"SELECT {as_text} FROM usage_events")).all()
        day = connection.execute(sa.text("SELECT CAST(day AS TEXT) FROM usage_counts")).scalar()
    assert stored[0] == stored[1]
    assert day == "2026-03-04"
    assert store.call_events("CA1")[0].occurred_at.replace(tzinfo=UTC) == at


def test_sms_state_reads_opt_out_language_and_conversation_together(store: Store) -> None:
    assert store.sms_state(CALLER) == SmsState(False, None, None)
    store.set_opted_out(CALLER, True)
    store.set_language(CALLER, "es")
    store.save_conversation(CALLER, Conversation("symptoms", 2, "SM2", "reply two"))
    state = store.sms_state(CALLER)
    assert state == SmsState(True, "es", Conversation("symptoms", 2, "SM2", "reply two"))
    assert store.sms_state(OTHER) == SmsState(False, None, None)


def test_may_text_follows_the_opt_out_list(store: Store) -> None:
    assert store.may_text(CALLER) and store.opt_out_status(CALLER) is False
    store.set_opted_out(CALLER, True)
    assert not store.may_text(CALLER) and store.opt_out_status(CALLER) is True
    store.set_opted_out(CALLER, False)
    assert store.may_text(CALLER)


def test_an_unreadable_opt_out_list_means_no_text_logged_once_without_the_number(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with store.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE sms_opt_outs"))
    with caplog.at_level(logging.ERROR, "ivr.store"):
        assert store.opt_out_status(CALLER) is None
        assert not store.may_text(CALLER)
        assert store.sms_state(CALLER) is None
    assert [r.getMessage() for r in caplog.records] == [
        "Could not read the opt-out list; no text is sent."
    ] * 3
    assert CALLER[2:] not in caplog.text


def test_a_texting_turn_is_saved_in_one_go(store: Store) -> None:
    commits = _sync_at_each_commit(store)
    store.save_sms_turn(CALLER, Conversation("symptoms", 0, "SM1", "summary"), "es")
    store.save_sms_turn(CALLER)  # a turn that changes nothing writes nothing
    assert store.sms_state(CALLER) == SmsState(
        False, "es", Conversation("symptoms", 0, "SM1", "summary")
    )
    assert len(commits) == 1
    assert store.topic_counts() == {}  # its usage event goes through the bookkeeping


def _sync_at_each_commit(store: Store) -> list[str]:
    """Listens to store's commits; the list fills with the sync setting in force at each one."""
    sqlite = store.engine.dialect.name == "sqlite"
    seen: list[str] = []

    def read(connection: sa.Connection) -> None:
        # The driver's own cursor: no statement of the test's goes through SQLAlchemy's events.
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute("PRAGMA synchronous" if sqlite else "SHOW synchronous_commit")
        value = cursor.fetchone()[0]
        cursor.close()
        seen.append({0: "off", 1: "normal", 2: "full"}.get(value, value) if sqlite else value)

    sa.event.listen(store.engine, "commit", read)
    return seen


WAITS = {"sqlite": "full", "postgresql": "on"}
DOES_NOT_WAIT = {"sqlite": "normal", "postgresql": "off"}


@pytest.mark.parametrize(
    "write",
    [
        lambda store: store.write_bookkeeping([UsageEvent("voice", "call")]),
        lambda store: store.set_language(CALLER, "es"),
        lambda store: store.save_sms_turn(CALLER, language="es"),
        lambda store: store.save_conversation(CALLER, Conversation("symptoms", 1, "SM1", "x")),
    ],
    ids=["usage event", "language", "texting turn", "conversation"],
)
def test_bookkeeping_does_not_wait_for_the_disk_but_opt_outs_do(
    store: Store, write: Callable[[Store], None]
) -> None:
    dialect = store.engine.dialect.name
    commits = _sync_at_each_commit(store)
    write(store)
    store.set_opted_out(CALLER, True)
    store.set_opted_out(CALLER, False)
    write(store)  # on the connection the opt-outs used: back to not waiting
    assert commits == [
        DOES_NOT_WAIT[dialect],
        WAITS[dialect],
        WAITS[dialect],
        DOES_NOT_WAIT[dialect],
    ]


def test_a_journaled_opt_out_is_replayed_durably(store: Store, tmp_path: Path) -> None:
    journal = OptOutJournal(tmp_path / "journal")
    journaled = Store(store.engine, NumberHasher(b"s"), journal)
    journal.append(journaled.number_key(CALLER), True)
    commits = _sync_at_each_commit(journaled)
    assert journaled.replay_journal() == 1
    assert journaled.is_opted_out(CALLER)
    assert commits == [WAITS[store.engine.dialect.name]]


def test_upgrade_is_repeatable(store: Store) -> None:
    store.set_language(CALLER, "es")
    upgrade_schema(store.engine)
    assert store.language_for(CALLER) == "es"


def test_ping_reports_a_dead_database(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'x' / 'db.sqlite3'}")
    upgrade_schema(engine)
    store = Store(engine, NumberHasher(b"s"))
    assert store.ping()
    broken = Store(sa.create_engine("sqlite:////nonexistent/dir/db.sqlite3"), NumberHasher(b"s"))
    assert not broken.ping()


def test_no_phone_number_reaches_the_database(store: Store) -> None:
    store.set_language(CALLER, "es")
    store.set_opted_out(CALLER, True)
    store.save_conversation(CALLER, Conversation("symptoms", 1, "SM1", "reply"))
    store.write_bookkeeping([UsageEvent("sms", "answer", topic="symptoms", language="es")])
    digits = CALLER.lstrip("+")
    with store.engine.connect() as connection:
        for table in ("caller_preferences", "sms_opt_outs", "sms_conversations", "usage_events"):
            for row in connection.execute(sa.text(f"SELECT * FROM {table}")):
                text = " ".join(str(value) for value in row)
                assert digits not in text and digits[-10:] not in text, table


def test_sqlite_file_holds_no_number(app: Flask) -> None:
    store = app.extensions["ivr"].store
    store.set_language(CALLER, "en")
    store.set_opted_out(CALLER, True)
    path = Path(store.engine.url.database)
    store.engine.dispose()
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert CALLER.lstrip("+").encode() not in raw
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_unsupported_database_is_refused() -> None:
    with pytest.raises(ValueError, match="IVR_DATABASE_URL"):
        create_engine("mysql://localhost/ivr")


def _upgrade_when_all_are_ready(url: str, ready: BarrierType) -> None:
    """One server's start-up: build an engine, wait for the others, migrate."""
    engine = create_engine(url)
    ready.wait()
    upgrade_schema(engine)
    engine.dispose()


def test_servers_starting_together_migrate_once(database_url: str) -> None:
    """Each gunicorn worker builds the app, so upgrades start together on a fresh database."""
    # Processes, as gunicorn's workers are: Alembic's context is global to a process.
    spawn = multiprocessing.get_context("spawn")
    ready = spawn.Barrier(3, timeout=30)
    servers = [
        spawn.Process(target=_upgrade_when_all_are_ready, args=(database_url, ready))
        for _ in range(3)
    ]
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.join(timeout=60)
        assert [server.exitcode for server in servers] == [0, 0, 0]
    finally:
        for server in servers:
            if server.is_alive():
                server.kill()
    engine = create_engine(database_url)
    store = Store(engine, NumberHasher(b"s"))
    store.set_opted_out(CALLER, True)
    assert store.is_opted_out(CALLER)
    engine.dispose()
