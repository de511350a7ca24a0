"""The anonymous facts the line records: usage events, and the language a number chose.

Pure: imports nothing from Flask or SQLAlchemy. Requests make these, bookkeeping queues them
and the store writes them (a language choice's number only as its keyed hash).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ivr.content import fold

# A not-understood text gives at most this many words, each of at most this many letters.
MAX_WORDS_NOTED = 8
MAX_WORD_LETTERS = 20
_WORD = re.compile(r"[^\W\d_]+")

# Kinds that describe a call's steps, not what was asked for: their topic is where a step was.
STEP_KINDS = ("step", "heard", "call-end", "transfer-end")
# The kinds kept one by one, with their call's keyed hash, besides being counted: a call's end
# is worked out from them (ivr.voice.steps.call_so_far). Every other event is only counted by
# day, so a text, say, leaves no row of its own.
CALL_LOG_KINDS = frozenset({"step", "transfer-end", "answer", "sites", "transfer"})
# What the counts by day keep of each kind of event besides its day, channel and kind: only
# what the report reads, so that a day holds few rows. The rest is not kept, but in the rows of
# CALL_LOG_KINDS.
COUNTED = {
    "step": ("place", "detail", "reached"),
    "heard": ("topic", "detail", "part"),
    "transfer-end": ("topic", "detail"),
    "call-end": ("language", "topic", "detail", "place", "part"),
}
# The messaging channels: the report counts both as texts (and each in a column of its own).
TEXT_CHANNELS = frozenset({"sms", "whatsapp"})
COUNTED_BY_DEFAULT = ("language", "topic", "detail")
# The moments the report counts, by event kind, with what its table calls them: adding a
# category is adding an event kind and one line here.
MOMENTS = {
    "distress": "Words of distress",
    "personal": "A question about their own case",
    "more-time": "Asked for more time",
    "offered-person": "Offered a person after two misses in a row",
    "asked-to-connect": "Asked whether to connect to a person now",
}


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
    place: str | None = None  # a call step: where the caller was (a menu's id, or a place)
    reached: str | None = None  # a call step: where it led ("person", "goodbye" or a place)
    part: int | None = None  # the part of an answer a step played, or a caller stopped in


@dataclass(frozen=True)
class LanguageChoice:
    """A language a number chose, and when: a later choice is never undone by an earlier one."""

    number: str
    language: str
    chosen_at: datetime = field(default_factory=_now)


def words_not_understood(text: str) -> tuple[str, ...]:
    """The words of a text the line did not understand, as the report may count them.

    Folded (no case, no accents); no word with a digit, none longer than MAX_WORD_LETTERS
    letters, each once, at most MAX_WORDS_NOTED: never a number, nor most of a long message.
    """
    words: list[str] = []
    for token in fold(text).split():
        if any(ch.isdigit() for ch in token):
            continue
        for word in _WORD.findall(token):
            if 1 < len(word) <= MAX_WORD_LETTERS and word not in words:
                words.append(word)
    return tuple(words[:MAX_WORDS_NOTED])
