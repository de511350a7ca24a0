"""Bookkeeping that no caller waits for: usage events and language choices, written in batches.

A request only queues them. One thread per process writes them: once something is queued, it
waits a moment for more, then writes all that has queued up in one transaction. So a busy line
shares one commit (and one wake-up of the thread) among many writes, and no request ever waits
for one. A process that exits writes what is left; one that is killed loses what it had not
written yet (the last moments of counts, never an opt-out: the store writes those before a
request answers).
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Protocol

from ivr.events import LanguageChoice, UsageEvent

log = logging.getLogger(__name__)
# At most this many queued writes go into one transaction.
MAX_BATCH = 500
# How long the writer lets writes gather before it commits them; flush() cuts it short.
GATHER_SECONDS = 0.1
# The writer thread stops after this long with nothing to write; the next write starts it again.
IDLE_SECONDS = 5.0
# How often the writer prunes what is older than the retention period (see Store.prune_events).
PRUNE_EVERY_SECONDS = 6 * 3600
# How long a process that is exiting waits for its last writes.
EXIT_WAIT_SECONDS = 5.0


_Item = UsageEvent | LanguageChoice | threading.Event
# What a batch's events go through before they are written (the app's: steps.end_calls).
Prepare = Callable[[Sequence[UsageEvent]], Sequence[UsageEvent]]


class Writer(Protocol):
    """Where the batches go: the Store (see Store.write_bookkeeping)."""

    def write_bookkeeping(
        self, events: Sequence[UsageEvent] = (), languages: Sequence[LanguageChoice] = ()
    ) -> None:
        """Record usage events and language choices in one transaction."""
        ...


class Bookkeeping:
    """Queues usage events and language choices; one thread writes them, many a transaction."""

    def __init__(
        self,
        store: Writer,
        *,
        gather_seconds: float = GATHER_SECONDS,
        idle_seconds: float = IDLE_SECONDS,
        max_batch: int = MAX_BATCH,
        new_thread: Callable[..., threading.Thread] = threading.Thread,
        prune: Callable[[], object] | None = None,
        prune_every: float = PRUNE_EVERY_SECONDS,
        prepare: Prepare | None = None,
    ) -> None:
        """Write batches of at most max_batch to store, from a thread new_thread makes.

        The writer lets writes gather for gather_seconds, and stops after idle_seconds with
        nothing to write; the defaults are the module's constants. It calls prune after its
        first write, then at most every prune_every seconds, between writes. Each batch's events
        go through prepare, when given, just before they are written.
        """
        self._prepare = prepare
        self._prune = prune
        self._prune_every = prune_every
        self._next_prune = 0.0
        self._store = store
        self._gather_seconds = gather_seconds
        self._idle_seconds = idle_seconds
        self._max_batch = max_batch
        self._new_thread = new_thread
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._lock = threading.Lock()  # held while the writer thread is started or stops
        self._hurry = threading.Event()  # set by flush(): write now, without gathering
        self._writer: threading.Thread | None = None
        _open.add(self)

    def record(self, event: UsageEvent) -> None:
        """Queue one anonymous usage event (see Store.write_bookkeeping)."""
        self._put(event)

    def set_language(self, number: str, language: str) -> None:
        """Queue the language a number chose (see Store.set_language)."""
        self._put(LanguageChoice(number, language))

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued before now is written (or given up on); False on timeout."""
        done = threading.Event()
        self._put(done)
        self._hurry.set()
        return done.wait(timeout)

    def write_what_is_left(self, timeout: float = EXIT_WAIT_SECONDS) -> None:
        """At exit: let a running writer finish the queue, or else write it in this thread.

        No thread is started here: Python may refuse to start one while it shuts down.
        """
        done = threading.Event()
        with self._lock:  # a writer stops only under the lock, and only with nothing queued
            running = self._writer is not None and self._writer.is_alive()
            if running:
                self._queue.put(done)
        if running:
            if not done.wait(timeout):
                log.warning("Usage events still queued at exit were not written.")
            return
        self._write(self._take_queued([], most=None))

    def _put(self, item: _Item) -> None:
        self._queue.put(item)
        writer = self._writer
        # is_alive: a forked worker inherits the object of a thread that only its parent has.
        if writer is None or not writer.is_alive():
            with self._lock:
                if self._writer is None or not self._writer.is_alive():
                    self._writer = self._new_thread(
                        target=self._write_until_idle, name="ivr-bookkeeping", daemon=True
                    )
                    self._writer.start()

    def _write_until_idle(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self._idle_seconds)
            except queue.Empty:
                with self._lock:
                    # Anything put from here on starts a new writer; anything put before is seen.
                    if self._queue.empty():
                        self._writer = None
                        return
                continue
            if self._queue.qsize() < self._max_batch:  # behind already: no time to gather
                self._hurry.wait(self._gather_seconds)
            self._hurry.clear()
            self._write(self._take_queued([first], most=self._max_batch))
            self._prune_when_due()

    def _prune_when_due(self) -> None:
        if self._prune is None or time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + self._prune_every
        try:
            self._prune()
        except Exception:
            log.warning(
                "Old usage events could not be pruned; the next try is later.", exc_info=True
            )

    def _take_queued(self, batch: list[_Item], most: int | None) -> list[_Item]:
        """batch, with what is queued added to it without waiting, up to most in all."""
        while most is None or len(batch) < most:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _write(self, batch: list[_Item]) -> None:
        events = [item for item in batch if isinstance(item, UsageEvent)]
        languages = [item for item in batch if isinstance(item, LanguageChoice)]
        try:
            if events and self._prepare is not None:
                events = list(self._prepare(events))
            if events or languages:
                self._store.write_bookkeeping(events, languages)
        except Exception:
            log.warning(
                "%d usage events and %d language choices not recorded",
                len(events),
                len(languages),
                exc_info=True,
            )
        finally:
            for item in batch:
                if isinstance(item, threading.Event):
                    item.set()


# Every Bookkeeping still in use, so that a process exiting normally writes what it queued.
_open: weakref.WeakSet[Bookkeeping] = weakref.WeakSet()


@atexit.register
def _write_what_is_left() -> None:
    for bookkeeping in list(_open):
        bookkeeping.write_what_is_left()
