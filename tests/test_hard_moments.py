"""Hard moments by text: distress, questions about oneself, and what the line does not cover.

Each phrasing in tests/data/hard_moments.tsv is sent as a first message and as a message from a
number that used the other language before; the reply's category and language are asserted.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from ivr.content import load_content
from ivr.language import LanguageGuesser
from ivr.segments import segments
from ivr.sms.keywords import Intent, TextVocabulary, match_keyword
from ivr.sms.ratelimit import RateLimit
from ivr.sms.replies import SEGMENT_BUDGET, build_replies
from ivr.sms.service import SmsService
from ivr.store import Store

from .conftest import CALLER, counted

CONTENT = load_content()
REPLIES = build_replies(CONTENT)
VOCABULARY = TextVocabulary.from_content(CONTENT)
DATA = Path(__file__).parent / "data" / "hard_moments.tsv"
ROWS = [
    (text, category, language)
    for text, category, language in csv.reader(
        (line for line in DATA.read_text(encoding="utf-8").splitlines() if line[:1] != "#"),
        delimiter="\t",
    )
]
OTHER = {"en": "es", "es": "en"}
INTENTS = {"distress": Intent.DISTRESS, "personal": Intent.PERSONAL}


def test_the_set_is_large_and_balanced() -> None:
    counts: dict[tuple[str, str], int] = {}
    for _, category, language in ROWS:
        counts[category, language] = counts.get((category, language), 0) + 1
    assert sum(counts.values()) >= 150
    for category in ("distress", "personal"):
        for language in ("en", "es"):
            assert counts[category, language] >= 30, (category, language)
    assert counts["out-of-scope", "en"] >= 10 and counts["out-of-scope", "es"] >= 10


@pytest.fixture
def service() -> SmsService:
    return SmsService(
        VOCABULARY, REPLIES, RateLimit("1000/minute", "memory://"), LanguageGuesser.build(CONTENT)
    )


def _every_reply(language: str) -> set[str]:
    """Every reply the line can send in language, but for an answer's later parts."""
    replies = REPLIES[language]
    fixed = {
        replies.menu,
        replies.help,
        replies.no_text,
        replies.not_understood,
        replies.not_understood_again,
        replies.more_nothing,
        replies.more_done,
        replies.sites_list,
        replies.distress,
        replies.personal,
    }
    hints = {replies.did_you_mean(word) for word in VOCABULARY.hint_words(language)}
    return fixed | hints | set(replies.summaries.values()) | set(replies.sites.values())


def _reply_of(category: str, language: str) -> str | None:
    replies = REPLIES[language]
    return {"distress": replies.distress, "personal": replies.personal}.get(category)


@pytest.mark.parametrize(("text", "category", "language"), ROWS, ids=[r[0] for r in ROWS])
def test_a_hard_moment_is_recognised_in_its_language(
    store: Store, service: SmsService, text: str, category: str, language: str
) -> None:
    # A number that chose the other language before: the message's own language wins.
    store.set_language(CALLER, OTHER[language])
    reply = service.handle(store, CALLER, text, "SM1")
    assert reply is not None
    expected = _reply_of(category, language)
    if expected is not None:
        assert match_keyword(text, VOCABULARY).intent is INTENTS[category]
        assert reply == expected
    else:
        # Not a hard moment: whatever the words pick, never the crisis or personal reply, and
        # always a reply of the message's own language.
        assert match_keyword(text, VOCABULARY).intent not in INTENTS.values()
        assert reply in _every_reply(language), reply
    assert store.language_for(CALLER) == language


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("category", ["distress", "personal"])
def test_hard_moment_replies_are_short_and_name_a_person(category: str, language: str) -> None:
    reply = _reply_of(category, language)
    assert reply is not None
    assert segments(reply).count <= SEGMENT_BUDGET[language]
    assert "1-800-422-6237" in reply
    if category == "distress":
        assert "988" in reply and "911" in reply
    if category == "distress" and language == "es":
        assert "AYUDA" in reply and "oprima 2" in reply
    # No prognosis, no number of months or years.
    assert not re.search(r"\b(months?|years?|mes(es)?|años?)\b", reply.lower())


def test_a_hard_moment_is_counted_by_category_and_never_kept_as_text(
    store: Store, service: SmsService
) -> None:
    service.handle(store, CALLER, "I want to end my life", "SM1")
    service.handle(store, CALLER, "cuanto tiempo me queda", "SM2")

    with store.engine.connect() as connection:
        everything = [
            str(value)
            for table in ("usage_events", "usage_counts", "sms_conversations")
            for row in connection.execute(sa.text(f"SELECT * FROM {table}"))
            for value in row
        ]
    rows = sorted((row["kind"], row["language"], row["count"]) for row in counted(store))
    assert rows == [("distress", "en", 1), ("personal", "es", 1)]
    assert not any("end my life" in value or "me queda" in value for value in everything)
