"""Bookkeeping queued by requests reaches the database in batches, and at exit, and after a fork."""

from __future__ import annotations

import logging
import multiprocessing
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from ivr.bookkeeping import Bookkeeping
from ivr.events import LanguageChoice, UsageEvent
from ivr.security import NumberHasher
from ivr.store import Store, create_engine, upgrade_schema

from .conftest import CALLER

OTHER = "+15551230002"


class HeldStore:
    """Writes to a store for Bookkeeping: records each batch, and can hold the first one."""

    def __init__(self, store: Store, fail_first: bool = False) -> None:
        self.batches: list[tuple[int, int]] = []
        self.written = threading.Semaphore(0)  # released once a batch is written
        self.entered = threading.Event()
        self.release = threading.Event()
        self._write = store.write_bookkeeping
        self._fail_first = fail_first

    def write_bookkeeping(
        self, events: Sequence[UsageEvent] = (), languages: Sequence[LanguageChoice] = ()
    ) -> None:
        self.batches.append((len(events), len(languages)))
        if len(self.batches) == 1:
            self.entered.set()
            assert self.release.wait(10)
            if self._fail_first:
                raise RuntimeError("database down")
        self._write(events, languages)
        self.written.release()


def test_queued_writes_reach_the_database(store: Store) -> None:
    books = Bookkeeping(store)
    books.record(UsageEvent("voice", "answer", topic="symptoms", language="en", call_sid="CA1"))
    books.record(UsageEvent("sms", "answer", topic="symptoms", language="es"))
    books.set_language(CALLER, "es")
    books.set_language(CALLER, "en")  # the later choice wins
    books.set_language(OTHER, "es")
    assert books.flush()
    assert store.topic_counts() == {("voice", "symptoms"): 1, ("sms", "symptoms"): 1}
    assert [(e.kind, e.topic) for e in store.call_events("CA1")] == [("answer", "symptoms")]
    assert (store.language_for(CALLER), store.language_for(OTHER)) == ("en", "es")


def test_a_calls_last_place_is_the_latest_event_whoever_wrote_it_first(store: Store) -> None:
    # Two workers: the one that took the later step happens to write first.
    earlier = UsageEvent("voice", "answer", topic="symptoms", call_sid="CA1")
    later = UsageEvent("voice", "sites", topic="breast", call_sid="CA1")
    first, second = Bookkeeping(store), Bookkeeping(store)
    first.record(later)
    assert first.flush()
    second.record(earlier)
    assert second.flush()
    last = store.call_events("CA1")[-1]
    assert (last.kind, last.topic) == ("sites", "breast")


def test_writes_queued_during_a_commit_share_the_next_one(store: Store) -> None:
    held = HeldStore(store)
    books = Bookkeeping(held)
    books.record(UsageEvent("voice", "call"))
    assert held.entered.wait(10)  # the writer has taken the first and is writing it
    for _ in range(4):
        books.record(UsageEvent("voice", "answer", topic="symptoms"))
    books.set_language(CALLER, "es")
    held.release.set()
    assert books.flush()
    assert held.batches == [(1, 0), (4, 1)]
    assert store.topic_counts() == {("voice", "symptoms"): 4}


def test_a_writer_that_is_behind_writes_full_batches_without_gathering(store: Store) -> None:
    held = HeldStore(store)
    # A writer that gathered would stall for a minute; once done, it stops at once.
    books = Bookkeeping(held, max_batch=3, gather_seconds=60, idle_seconds=0.01)
    books.record(UsageEvent("voice", "call"))
    books.flush(timeout=0)  # the first batch goes at once (no need to wait for it here)
    assert held.entered.wait(10)
    for _ in range(7):
        books.record(UsageEvent("voice", "answer", topic="symptoms"))
    held.release.set()
    assert all(held.written.acquire(timeout=10) for _ in range(3))
    assert held.batches == [(1, 0), (3, 0), (3, 0)]  # one is left, gathering company
    assert books.flush()
    assert held.batches[3:] == [(1, 0)]
    assert store.topic_counts() == {("voice", "symptoms"): 7}


def test_a_failed_write_is_logged_and_the_next_ones_go_on(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    held = HeldStore(store, fail_first=True)
    books = Bookkeeping(held)
    books.record(UsageEvent("voice", "answer", topic="treatment"))
    assert held.entered.wait(10)
    held.release.set()
    books.record(UsageEvent("voice", "answer", topic="symptoms"))
    with caplog.at_level(logging.WARNING, "ivr.bookkeeping"):
        assert books.flush()
    assert [r.getMessage() for r in caplog.records] == [
        "1 usage events and 0 language choices not recorded"
    ]
    assert store.topic_counts() == {("voice", "symptoms"): 1}


def test_the_writer_stops_when_idle_and_starts_again(store: Store) -> None:
    writers: list[threading.Thread] = []

    def new_thread(**options: Any) -> threading.Thread:
        writers.append(threading.Thread(**options))
        return writers[-1]

    books = Bookkeeping(store, idle_seconds=0.01, new_thread=new_thread)
    books.record(UsageEvent("voice", "answer", topic="symptoms"))
    assert books.flush()
    assert len(writers) == 1
    writers[0].join(10)
    assert not writers[0].is_alive()
    books.record(UsageEvent("voice", "answer", topic="symptoms"))
    assert books.flush()
    assert len(writers) == 2  # the stopped writer is not counted on: a new one wrote this
    assert store.topic_counts() == {("voice", "symptoms"): 2}


EXIT_SCRIPT = """
import sys
from ivr.bookkeeping import Bookkeeping
from ivr.security import NumberHasher
from ivr.events import UsageEvent
from ivr.store import Store, create_engine

books = Bookkeeping(Store(create_engine(sys.argv[1]), NumberHasher(b"s")))
for _ in range(50):
    books.record(UsageEvent("voice", "answer", topic="symptoms"))
books.set_language("+15551230001", "es")
# No flush: the process just ends, as a gunicorn worker does when it is stopped.
"""


def test_what_is_queued_is_written_when_the_process_exits(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    engine = create_engine(url)
    upgrade_schema(engine)
    subprocess.run([sys.executable, "-c", EXIT_SCRIPT, url], check=True, timeout=60)
    store = Store(engine, NumberHasher(b"s"))
    assert store.topic_counts() == {("voice", "symptoms"): 50}
    assert store.language_for(CALLER) == "es"
    engine.dispose()


def _record_in_child(books: Bookkeeping, done: multiprocessing.synchronize.Event) -> None:
    books.record(UsageEvent("voice", "answer", topic="treatment"))
    if books.flush(10):
        done.set()


def test_a_forked_worker_starts_its_own_writer(store: Store) -> None:
    """`ivr serve` builds the app once and forks its workers, writer thread and all."""
    books = Bookkeeping(store)
    books.record(UsageEvent("voice", "answer", topic="symptoms"))
    assert books.flush()  # the parent's writer is running
    store.engine.dispose(close=False)  # as the server's post_fork does
    fork = multiprocessing.get_context("fork")
    done = fork.Event()
    child = fork.Process(target=_record_in_child, args=(books, done))
    child.start()
    child.join(60)
    assert child.exitcode == 0 and done.is_set()
    assert store.topic_counts() == {("voice", "symptoms"): 1, ("voice", "treatment"): 1}
