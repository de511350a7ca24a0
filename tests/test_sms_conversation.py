"""The pure conversation: which reply, in which language, and what to remember."""

from __future__ import annotations

import pytest

from ivr.content import load_content
from ivr.sms.conversation import Conversation, next_reply, reply_language
from ivr.sms.keywords import Intent, Match
from ivr.sms.replies import build_replies

CONTENT = load_content()
REPLIES = build_replies(CONTENT)


@pytest.mark.parametrize(
    ("match", "remembered", "expected"),
    [
        (Match(Intent.MENU, switch_to="es"), "en", ("es", "es")),
        (Match(Intent.MENU, switch_to="es"), "es", ("es", None)),
        (Match(Intent.TOPIC, topic="symptoms", language="es"), "en", ("es", "es")),
        (Match(Intent.TOPIC, topic="symptoms", language="en"), "en", ("en", None)),
        (Match(Intent.TOPIC, topic="symptoms", language="es"), None, ("es", "es")),
        (Match(Intent.TOPIC, topic="symptoms"), None, ("en", None)),
        (Match(Intent.TOPIC, topic="symptoms"), "es", ("es", None)),
    ],
)
def test_reply_language(match: Match, remembered: str | None, expected: tuple) -> None:
    assert reply_language(match, remembered) == expected


def test_a_topic_sends_its_summary_and_starts_paging() -> None:
    outcome = next_reply(Match(Intent.TOPIC, topic="symptoms"), None, None, REPLIES, "SM1")
    assert outcome.reply == REPLIES["en"].summaries["symptoms"]
    assert outcome.conversation == Conversation("symptoms", 0, "SM1", outcome.reply)
    assert (outcome.event, outcome.topic, outcome.language) == ("summary", "symptoms", "en")


@pytest.mark.parametrize("code", ["en", "es"])
def test_more_pages_through_the_whole_answer_then_says_it_is_done(code: str) -> None:
    pages = REPLIES[code].pages["how-spread"]
    conversation = Conversation("how-spread", 0, "SM0", "summary")
    sent = []
    for n in range(len(pages) + 2):
        outcome = next_reply(Match(Intent.MORE), code, conversation, REPLIES, f"SM{n + 1}")
        sent.append(outcome.reply)
        conversation = outcome.conversation or conversation
    assert sent[: len(pages)] == list(pages)
    assert sent[len(pages) :] == [REPLIES[code].more_done] * 2
    assert conversation.next_part == len(pages)


def test_more_without_an_answer_to_continue() -> None:
    stale = Conversation("a-topic-since-removed", 0, None, None)
    for conversation in (None, Conversation(None, 0, None, None), stale):
        outcome = next_reply(Match(Intent.MORE), "en", conversation, REPLIES, "SM1")
        assert outcome.reply == REPLIES["en"].more_nothing
        assert outcome.conversation is None


def test_switching_language_restarts_the_answer_being_paged() -> None:
    conversation = Conversation("symptoms", 3, "SM1", "part 3")
    match = Match(Intent.LANGUAGE, switch_to="es", language="es")
    outcome = next_reply(match, "en", conversation, REPLIES, "SM2")
    assert outcome.reply == REPLIES["es"].menu
    assert outcome.remember_language == "es"
    assert outcome.conversation == Conversation("symptoms", 0, "SM2", REPLIES["es"].menu)


def test_a_topic_asked_in_another_language_switches_and_answers() -> None:
    match = Match(Intent.TOPIC, topic="treatment", language="en", switch_to="es")
    outcome = next_reply(match, "en", None, REPLIES, "SM1")
    assert outcome.reply == REPLIES["es"].summaries["treatment"]
    assert outcome.remember_language == "es"


def test_sites_and_the_list_of_types() -> None:
    outcome = next_reply(Match(Intent.SITES, cancer="melanoma"), "es", None, REPLIES, "SM1")
    assert outcome.reply == REPLIES["es"].sites["melanoma"]
    assert (outcome.event, outcome.topic, outcome.detail) == ("sites", "where-spread", "melanoma")
    assert outcome.conversation is None  # the answer being paged, if any, is kept
    listing = next_reply(Match(Intent.SITES), "en", None, REPLIES, "SM2")
    assert listing.reply == REPLIES["en"].sites_list


@pytest.mark.parametrize(
    ("match", "attribute"),
    [
        (Match(Intent.MENU), "menu"),
        (Match(Intent.HELP), "help"),
        (Match(Intent.OPT_IN), "opted_in"),
        (Match(Intent.EMPTY), "no_text"),
        (Match(Intent.OPT_OUT), "opted_out"),
    ],
)
def test_fixed_replies(match: Match, attribute: str) -> None:
    outcome = next_reply(match, "es", None, REPLIES, "SM1")
    assert outcome.reply == getattr(REPLIES["es"], attribute)
    assert outcome.conversation is None


def test_twilio_confirms_its_own_opt_outs_so_the_line_says_nothing() -> None:
    outcome = next_reply(Match(Intent.OPT_OUT, handled_by_twilio=True), None, None, REPLIES, "S")
    assert outcome.reply is None and outcome.event == "opt-out"


def test_not_understood_with_a_guess_in_the_reply_language() -> None:
    guesses = (("en", "LUNG"), ("es", "PULMÓN"))
    outcome = next_reply(Match(Intent.UNKNOWN, suggestions=guesses), "en", None, REPLIES, "SM1")
    assert outcome.reply == REPLIES["en"].did_you_mean("LUNG")
    assert outcome.event == "not-understood"
    spanish = next_reply(Match(Intent.UNKNOWN, suggestions=guesses), "es", None, REPLIES, "SM1")
    assert spanish.reply == REPLIES["es"].did_you_mean("PULMÓN")
    only_english = (("en", "LUNG"),)
    never_the_other_language = next_reply(
        Match(Intent.UNKNOWN, suggestions=only_english), "es", None, REPLIES, "SM1"
    )
    assert never_the_other_language.reply == REPLIES["es"].not_understood


def test_a_second_miss_in_a_row_names_a_person_and_an_answer_resets_it() -> None:
    first = next_reply(Match(Intent.UNKNOWN), "en", None, REPLIES, "SM1")
    assert first.reply == REPLIES["en"].not_understood
    assert first.conversation is not None and first.conversation.misses == 1
    second = next_reply(Match(Intent.UNKNOWN), "en", first.conversation, REPLIES, "SM2")
    assert second.reply == REPLIES["en"].not_understood_again
    assert "1-800-422-6237" in second.reply
    menu = next_reply(Match(Intent.MENU), "en", second.conversation, REPLIES, "SM3")
    assert menu.conversation is not None and menu.conversation.misses == 0
    again = next_reply(Match(Intent.UNKNOWN), "en", menu.conversation, REPLIES, "SM4")
    assert again.reply == REPLIES["en"].not_understood


@pytest.mark.parametrize("code", ["en", "es"])
def test_a_reply_that_did_not_understand_keeps_help_and_the_other_language(code: str) -> None:
    end = CONTENT[code].prompt("sms_not_understood_end")
    words = {"en": ("HELP", "ESPANOL"), "es": ("AYUDA", "ENGLISH")}[code]
    for reply in (REPLIES[code].not_understood, REPLIES[code].did_you_mean("X")):
        assert reply.endswith(end)
    assert all(word in REPLIES[code].not_understood_again for word in words)
