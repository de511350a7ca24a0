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


# The sentences too long for a page by themselves, by their first words: the only ones a page
# may end inside (at a clause outside parentheses, or else a space). English pages hold 2 GSM-7
# segments; Spanish ones 3 UCS-2 segments, about 150 characters once the footer is in.
LONG_SENTENCES = {
    ("en", "how-spread"): ("The ability of a cancer cell to metastasize",),
    ("es", "what-is"): ("Además, las células de cáncer metastásico",),
    ("es", "which-cancers"): ("Aunque es poco común",),
    ("es", "where-spread"): ("Aunque la mayoría de los cánceres", "La siguiente tabla muestra"),
    ("es", "how-spread"): (
        "Detención y extravasación:",
        "Como los cánceres del sistema linfático",
        "La capacidad de una célula cancerosa",
        "Las células de cáncer metastásico pueden permanecer",
    ),
    ("es", "symptoms"): ("Por ejemplo, un hombre cuyo cáncer de próstata",),
    ("es", "unknown-primary"): (
        "La búsqueda del cáncer primario",
        "Sin embargo, en algunos pacientes",
        "Los médicos se refieren al cáncer primario",
        "Puede encontrar más información",
    ),
    ("es", "treatment"): (
        "El cáncer metastásico se puede tratar",
        "Por lo general, la elección del tratamiento",
    ),
    ("es", "new-treatments"): (
        "Sí, los investigadores",
        "Antes de que un nuevo tratamiento",
        "El Instituto Nacional del Cáncer (NCI) y muchas",
        "Los resultados de estudios clínicos anteriores",
    ),
}


def _sentences(text: str) -> list[str]:
    """A text's sentences: cut after ".", "!" or "?" and a space, outside parentheses."""
    sentences, start, depth = [], 0, 0
    for index, character in enumerate(text):
        depth += (character == "(") - (character == ")")
        if depth == 0 and character in ".!?" and text[index + 1 : index + 2] == " ":
            sentences.append(text[start : index + 1])
            start = index + 2
    return [*sentences, text[start:]]


def _balanced(text: str) -> bool:
    depth = 0
    for character in text:
        depth += (character == "(") - (character == ")")
        if depth < 0:
            return False
    return depth == 0


def _fits_a_page(text: str, code: str) -> bool:
    """Whether text fits a page alone, with either footer (the middle one or the last)."""
    language = CONTENT[code]
    footers = [language.prompt(f, page="99", pages="99") for f in ("sms_page", "sms_page_last")]
    return all(within_budget(f"{text}\n{footer}", code) for footer in footers)


@pytest.mark.parametrize("code", LANGUAGES)
def test_no_page_ends_inside_a_parenthesis(code: str) -> None:
    for topic in CONTENT[code].topics:
        for number, page in enumerate(REPLIES[code].pages[topic.id], 1):
            assert _balanced(FOOTER.sub("", page)), (topic.id, number, page)


@pytest.mark.parametrize("code", LANGUAGES)
def test_pages_end_inside_only_the_sentences_too_long_for_a_page(code: str) -> None:
    language = CONTENT[code]
    cut: set[tuple[str, str]] = set()
    for topic in language.topics:
        paragraphs = list(topic.parts)
        if topic.id == SITES_TOPIC:
            paragraphs.append(sites_list_reply(language))
        # Where each sentence ends in the answer, its spacing collapsed to single spaces.
        spans, offset = [], 0
        for paragraph in paragraphs:
            for sentence in _sentences(" ".join(paragraph.split())):
                spans.append((offset, offset + len(sentence), sentence))
                offset += len(sentence) + 1
        end = -1
        for page in REPLIES[code].pages[topic.id]:
            end += len(" ".join(FOOTER.sub("", page).split())) + 1
            inside = [sentence for start, stop, sentence in spans if start < end < stop]
            if inside:
                assert not _fits_a_page(inside[0], code), inside[0]
                cut.add((topic.id, inside[0]))

    def first_words(topic_id: str, sentence: str) -> str:
        """The listed first words of a sentence, or the whole sentence when it is not listed."""
        listed = LONG_SENTENCES.get((code, topic_id), ())
        return next((first for first in listed if sentence.startswith(first)), sentence)

    found = {(topic_id, first_words(topic_id, sentence)) for topic_id, sentence in cut}
    expected = {
        (t, first) for (c, t), firsts in LONG_SENTENCES.items() if c == code for first in firsts
    }
    assert found == expected


def test_a_long_sentence_is_cut_at_a_comma_outside_its_parentheses() -> None:
    listing = "(" + ", ".join(["uno dos tres"] * 8) + ")"
    sentence = f"{'palabra ' * 12}{listing}, {'otra ' * 12}{listing}, y fin."
    topic = replace(CONTENT["es"].topics[0], parts=(sentence,))
    pages = answer_pages(CONTENT["es"], topic)
    assert len(pages) > 1
    assert all(_balanced(FOOTER.sub("", page)) for page in pages)
    assert all(within_budget(page, "es") for page in pages)


def test_a_parenthesis_too_long_for_a_page_is_still_cut_to_fit() -> None:
    topic = replace(CONTENT["es"].topics[0], parts=("(" + "palabra " * 300 + ")",))
    pages = answer_pages(CONTENT["es"], topic)
    assert len(pages) > 1
    assert all(within_budget(page, "es") for page in pages)
    assert sum(FOOTER.sub("", page).count("palabra") for page in pages) == 300


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
