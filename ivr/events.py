"""The anonymous facts the line records: usage events, and the language a number chose.

Pure: imports nothing from Flask or SQLAlchemy. Requests make these, bookkeeping queues them
and the store writes them (a language choice's number only as its keyed hash).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class UsageEvent:
    """One anonymous usage event: what was asked, on which channel, in which language."""

    channel: str
    kind: str
    topic: str | None = None
    language: str | None = None
    detail: str | None = None
    call_sid: str | None = None  # kept only as a keyed hash, to tell one call's events apart
    occurred_at: datetime = field(default_factory=_now, compare=False)


@dataclass(frozen=True)
class LanguageChoice:
    """A language a number chose, and when: a later choice is never undone by an earlier one."""

    number: str
    language: str
    chosen_at: datetime = field(default_factory=_now)
