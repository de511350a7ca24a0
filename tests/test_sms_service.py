"""The SMS service without Flask: MORE after "text me this", and an opt-out then an opt-in."""

from __future__ import annotations

import pytest

from ivr.content import load_content
from ivr.language import LanguageGuesser
from ivr.sms.conversation import Conversation
from ivr.sms.keywords import TextVocabulary
from ivr.sms.ratelimit import RateLimit
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
