"""Opt-outs that could not reach the database, kept on local disk until they can.

An opt-out is never lost: when the database cannot take one, it is appended to a journal
file (fsync'd) under the instance folder, counted as an opt-out from then on, and written
to the database as soon as it answers again.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

JOURNAL_FILE = "opt-out-journal.jsonl"


class OptOutJournal:
    """An append-only file of (number hash, opted out) not yet in the database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pending: dict[str, bool] = self._read() if path.exists() else {}

    def append(self, number_hash: str, opted_out: bool) -> None:
        """Write one entry to disk and wait for the disk, before anything else happens."""
        line = json.dumps(
            {"hash": number_hash, "opted_out": opted_out, "at": datetime.now(UTC).isoformat()}
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._locked("a") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.pending[number_hash] = opted_out

    def waiting(self) -> bool:
        """True when the file holds entries, whichever worker wrote them (one stat call)."""
        try:
            return self.path.stat().st_size > 0
        except FileNotFoundError:
            return False

    def refresh(self) -> None:
        """Read the entries again: another worker may have added some."""
        self.pending = self._read() if self.path.exists() else {}

    def replay(self, write: Callable[[str, bool], None]) -> int:
        """Write every entry through write (in order), then empty the journal; how many."""
        if not self.path.exists():
            self.pending.clear()
            return 0
        with self._locked("r+") as handle:
            entries = _parse(handle.read())
            for number_hash, opted_out in entries.items():
                write(number_hash, opted_out)  # raises while the database is still down
            handle.seek(0)
            handle.truncate()
            handle.flush()
            os.fsync(handle.fileno())
        self.pending.clear()
        return len(entries)

    def _read(self) -> dict[str, bool]:
        with self._locked("r") as handle:
            return _parse(handle.read())

    @contextmanager
    def _locked(self, mode: str) -> Iterator[IO[str]]:
        # Several workers share the file; one at a time appends or replays.
        with self.path.open(mode, encoding="utf-8") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield handle
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _parse(text: str) -> dict[str, bool]:
    entries: dict[str, bool] = {}
    for line in text.splitlines():
        try:
            entry = json.loads(line)
            entries[str(entry["hash"])] = bool(entry["opted_out"])
        except (ValueError, KeyError, TypeError):
            continue  # a line torn by a crash mid-write holds nothing that was acknowledged
    return entries
