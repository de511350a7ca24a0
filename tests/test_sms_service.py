"""The SMS service without Flask: MORE after "text me this", and an opt-out then an opt-in."""

from __future__ import annotations

import pytest

from ivr.config import DEFAULT_SMS_PAGING_LIMIT, DEFAULT_SMS_RATE_LIMIT
from ivr.content import load_content
from ivr.language import LanguageGuesser
from ivr.sms.conversation import Conversation
from ivr.sms.keywords import TextVocabulary
from ivr.sms.ratelimit import ProcessWindows, RateLimit
from ivr.sms.replies import build_replies, summary_reply
from ivr.sms.service import SmsService
from ivr.store import Store

from .conftest import CALLER

CONTENT = load_content()
REPLIES = build_replies(CONTENT)


@pytest.fixture
def service() -> SmsService:
    return SmsService(
        TextVocabulary.from_content(CONTENT),
        REPLIES,
        RateLimit("50/minute", "memory://"),
        LanguageGuesser.build(CONTENT),
    )


def test_text_me_this_then_more_continues_the_answer(store: Store, service: SmsService) -> None:
    english = CONTENT["en"]
    text = summary_reply(english, english.topic("treatment"))
    # What the texter notes once "text me this" has sent a summary during a call.
    store.save_conversation(CALLER, Conversation("treatment", 0, None, text))
    assert service.handle(store, CALLER, "MORE", "SM1") == REPLIES["en"].pages["treatment"][0]


def test_opt_out_and_opt_in_without_flask(store: Store, service: SmsService) -> None:
    assert service.handle(store, CALLER, "quit", "SM1") is None
    assert service.handle(store, CALLER, "menu", "SM2") is None
    assert service.handle(store, CALLER, "Sí", "SM3") == REPLIES["es"].opted_in
    assert service.handle(store, CALLER, "menu", "SM4") == REPLIES["es"].menu
    assert service.handle(store, CALLER, "Sí", "SM5") == REPLIES["es"].menu


class Clock:
    """A clock the test moves by hand, for the rate limit's moving windows."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limited_service(clock: Clock) -> SmsService:
    """A service with the line's default limits, counted on clock."""
    windows = ProcessWindows(clock)
    return SmsService(
        TextVocabulary.from_content(CONTENT),
        REPLIES,
        RateLimit(DEFAULT_SMS_RATE_LIMIT, "memory://", limiter=windows),
        LanguageGuesser.build(CONTENT),
        paging=RateLimit(DEFAULT_SMS_PAGING_LIMIT, "memory://", limiter=windows),
    )


@pytest.mark.parametrize("code", ["en", "es"])
def test_the_first_text_over_the_limit_says_when_to_try_again_then_nothing(
    store: Store, code: str
) -> None:
    clock = Clock()
    service = limited_service(clock)
    word = {"en": "symptoms", "es": "sintomas"}[code]
    replies = [service.handle(store, CALLER, word, f"SM{n}") for n in range(13)]
    assert all(reply == REPLIES[code].summaries["symptoms"] for reply in replies[:10])
    assert replies[10] == REPLIES[code].limit_notices["minute"]
    assert replies[11:] == [None, None]
    clock.now += 61  # the window has passed
    assert service.handle(store, CALLER, word, "SM99") == REPLIES[code].summaries["symptoms"]


@pytest.mark.parametrize("code", ["en", "es"])
def test_reading_the_longest_answer_with_more_every_5_seconds_is_never_cut_off(
    store: Store, code: str
) -> None:
    clock = Clock()
    service = limited_service(clock)
    longest = max(REPLIES[code].pages, key=lambda topic: len(REPLIES[code].pages[topic]))
    pages = REPLIES[code].pages[longest]
    assert len(pages) + 2 > 10  # more texts within a minute than the general limit allows
    store.set_language(CALLER, code)
    number = CONTENT[code].topic(longest).number
    assert service.handle(store, CALLER, str(number), "SM0") == REPLIES[code].summaries[longest]
    more = {"en": "MORE", "es": "MAS"}[code]
    for n, page in enumerate(pages, 1):
        clock.now += 5
        assert service.handle(store, CALLER, more, f"SM{n}") == page
    clock.now += 5
    assert service.handle(store, CALLER, more, "SM-done") == REPLIES[code].more_done


def test_a_flood_of_more_is_still_cut_off(store: Store) -> None:
    service = limited_service(Clock())
    service.handle(store, CALLER, "how does cancer spread", "SM0")
    replies = [service.handle(store, CALLER, "MORE", f"SM{n}") for n in range(1, 40)]
    answered = [reply for reply in replies if reply]
    assert len(answered) == 21  # twenty pages and the answer's end, then one notice
    assert answered[-1] == REPLIES["en"].limit_notices["minute"]
    assert replies[-1] is None


def test_no_notice_goes_to_a_number_that_opted_out(store: Store) -> None:
    service = limited_service(Clock())
    assert service.handle(store, CALLER, "PARAR", "SM0") == REPLIES["es"].opted_out
    assert [service.handle(store, CALLER, "menu", f"SM{n}") for n in range(1, 15)] == [None] * 14
