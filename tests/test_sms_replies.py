"""Replies: every one within its segment budget, and the full answers sent whole, in order."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from ivr.content import LANGUAGES, SITES_TOPIC, load_content
from ivr.segments import segments
from ivr.sms.replies import (
    SEGMENT_BUDGET,
    answer_pages,
    build_replies,
    reply_sizes,
    sites_list_reply,
    summary_reply,
    within_budget,
)

CONTENT = load_content()
REPLIES = build_replies(CONTENT)
SIZES = reply_sizes(CONTENT)
FOOTER = re.compile(r"\n\(\d+/\d+\) [^\n]*$")


@pytest.mark.parametrize("reply", SIZES, ids=lambda r: f"{r.language}-{r.name}")
def test_every_reply_is_within_its_budget(reply) -> None:  # type: ignore[no-untyped-def]
    size = segments(reply.text)
    assert size.count <= SEGMENT_BUDGET[reply.language], reply.text
    if reply.language == "en":
        assert size.encoding == "GSM-7", reply.text
    assert reply.ok and reply.size == size


def test_sizes_cover_every_fixed_reply_summary_site_and_part() -> None:
    for code in LANGUAGES:
        names = {r.name for r in SIZES if r.language == code}
        assert {"menu", "help", "opted out", "opted in", "not understood"} <= names
        assert {f"summary {t.id}" for t in CONTENT[code].topics} <= names
        assert {f"sites {c.id}" for c in CONTENT[code].cancers} <= names
        parts = sum(len(pages) for pages in REPLIES[code].pages.values())
        assert sum(1 for r in SIZES if r.language == code and r.part) == parts


def test_budget_is_two_gsm7_segments_in_english_three_in_spanish() -> None:
    assert within_budget("a" * 306, "en") and not within_budget("a" * 307, "en")
    assert not within_budget("it\u2019s", "en")  # a curly quote: UCS-2
    assert within_budget("á" * 201, "es") and not within_budget("á" * 202, "es")


@pytest.mark.parametrize("code", LANGUAGES)
def test_full_answers_are_sent_whole_and_in_order(code: str) -> None:
    language = CONTENT[code]
    for topic in language.topics:
        pages = REPLIES[code].pages[topic.id]
        bodies = [FOOTER.sub("", page) for page in pages]
        expected = list(topic.parts)
        if topic.id == SITES_TOPIC:
            expected.append(sites_list_reply(language))
        assert " ".join(" ".join(bodies).split()) == " ".join(" ".join(expected).split())
        for number, page in enumerate(pages, 1):
            assert f"({number}/{len(pages)})" in page
        closing = "sms_page_last" if len(pages) == 1 else "sms_page"
        assert pages[0].endswith(language.prompt(closing, page="1", pages=str(len(pages))))
        assert pages[-1].endswith(
            language.prompt("sms_page_last", page=str(len(pages)), pages=str(len(pages)))
        )


@pytest.mark.parametrize("code", LANGUAGES)
def test_pages_end_between_words_only_inside_a_sentence_too_long_for_one(code: str) -> None:
    language = CONTENT[code]
    footer = language.prompt("sms_page", page="99", pages="99")
    for topic in language.topics:
        sentences = re.split(r"(?<=[.!?])\s+", " ".join(topic.parts))
        for page in REPLIES[code].pages[topic.id]:
            body = FOOTER.sub("", page)
            if body[-1] in ".:;,!?":
                continue
            cut = body.split("\n")[-1][-40:]
            sentence = next(s for s in sentences if cut in s)
            assert not within_budget(f"{sentence}\n{footer}", code), sentence


def test_a_part_with_no_breaks_at_all_is_still_cut_to_fit() -> None:
    topic = replace(CONTENT["es"].topics[0], parts=("palabra " * 300,))
    pages = answer_pages(CONTENT["es"], topic)
    assert len(pages) > 1
    assert all(within_budget(page, "es") for page in pages)
    assert sum(FOOTER.sub("", page).count("palabra") for page in pages) == 300


@pytest.mark.parametrize("code", LANGUAGES)
def test_summary_reply_is_the_summary_and_a_closing_line(code: str) -> None:
    language = CONTENT[code]
    for topic in language.topics:
        text = summary_reply(language, topic)
        assert text.startswith(topic.summary)
        closing = "sms_summary_sites" if topic.id == SITES_TOPIC else "sms_summary_more"
        assert text.endswith(language.prompt(closing))
        assert REPLIES[code].summaries[topic.id] == text


@pytest.mark.parametrize("code", LANGUAGES)
def test_menu_lists_the_nine_topics_by_number(code: str) -> None:
    language = CONTENT[code]
    lines = REPLIES[code].menu.split("\n")
    assert lines[0] == language.prompt("sms_menu")
    assert lines[1:10] == [
        f"{t.number} {language.prompt(f'sms_topic_{t.id}')}" for t in language.topics
    ]
    assert lines[10] == language.prompt("sms_menu_end")
    guess = REPLIES[code].did_you_mean("LUNG")
    assert guess.split("\n")[0] == language.prompt("sms_did_you_mean", word="LUNG")
    assert guess.split("\n")[1:10] == lines[1:10]
    assert guess.split("\n")[10] == language.prompt("sms_not_understood_end")


@pytest.mark.parametrize("code", LANGUAGES)
def test_sites_replies_name_the_three_sites_in_order(code: str) -> None:
    language = CONTENT[code]
    for cancer in language.cancers:
        text = REPLIES[code].sites[cancer.id]
        assert text.startswith(language.sites_sentence(cancer))
        first, second, third = language.sites_of(cancer)
        assert text.index(first) < text.index(second) < text.rindex(third)
    listing = REPLIES[code].sites_list
    assert all(cancer.synonyms[0].upper() in listing for cancer in language.cancers)
