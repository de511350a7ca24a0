"""Language guessing: a labelled set of texts as people send them, and the cases that matter."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.content import load_content
from ivr.language import (
    ENGLISH_WORDS,
    MAX_CHARACTERS,
    SHARED_WORDS,
    SPANISH_WORDS,
    LanguageGuesser,
    vocabulary,
)

LANGUAGE_SET = Path(__file__).resolve().parent / "data" / "language_set.tsv"
CONTENT = load_content()
GUESSER = LanguageGuesser.build(CONTENT)  # lingua's models take about half a second to load
CLEAR_ACCURACY = 0.97
EITHER_NONE_RATE = 0.90


def labelled_set(path: Path = LANGUAGE_SET) -> list[tuple[str, str]]:
    """(text, label) for every row of the set; label is "en", "es" or "either"."""
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[0] == "text\tlabel"
    rows = []
    for line in lines[1:]:
        if line and not line.startswith("#"):
            text, label = line.split("\t")
            assert label in ("en", "es", "either"), line
            rows.append((text, label))
    return rows


ROWS = labelled_set()


def misread(rows: list[tuple[str, str]]) -> list[str]:
    """Each row the guesser reads otherwise than its label says, as one readable line."""
    return [
        f"{text!r}: labelled {label}, guessed {GUESSER.guess(text)}"
        for text, label in rows
        if GUESSER.guess(text) != (None if label == "either" else label)
    ]


def test_the_set_is_large_and_covers_both_languages_and_neither() -> None:
    labels = [label for _, label in ROWS]
    assert len(ROWS) >= 250
    assert labels.count("en") + labels.count("es") >= 200
    assert min(labels.count("en"), labels.count("es")) >= 100
    assert labels.count("either") >= 50
    assert len({text for text, _ in ROWS}) == len(ROWS), "a text is in the set twice"


def test_texts_clearly_in_one_language_are_read_as_that_language() -> None:
    clear = [(text, label) for text, label in ROWS if label != "either"]
    wrong = misread(clear)
    accuracy = 1 - len(wrong) / len(clear)
    assert accuracy >= CLEAR_ACCURACY, (
        f"{accuracy:.1%} of {len(clear)} right; misread:\n" + "\n".join(wrong)
    )


def test_texts_in_neither_language_are_given_none() -> None:
    either = [(text, label) for text, label in ROWS if label == "either"]
    wrong = misread(either)
    rate = 1 - len(wrong) / len(either)
    assert rate >= EITHER_NONE_RATE, (
        f"None for {rate:.1%} of {len(either)}; given a language:\n" + "\n".join(wrong)
    )


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("tengo miedo", "es"),
        ("q es metastasis", "es"),
        ("cuanto tiempo me queda de vida", "es"),
        ("will i survive this", "en"),
        ("what does stage 4 mean", "en"),
        ("sintomas", "es"),
        ("SYMPTOMS", "en"),
        ("hola", "es"),
        ("help me", "en"),
        ("ayuda", "es"),
        ("me duele", "es"),
        ("is it curable", "en"),
        ("tiene cura?", "es"),
        ("no quiero vivir", "es"),
        ("I don't want to live anymore", "en"),
        ("gracias", "es"),
        ("thanks", "en"),
    ],
)
def test_what_frightened_texters_send_is_read_right(text: str, language: str) -> None:
    assert GUESSER.guess(text) == language


@pytest.mark.parametrize(
    "text", ["5", "MENU", "menu 2", "ok", "OK", "melanoma", "cancer", "😀", "", "  ", "?", "no"]
)
def test_numbers_shared_words_and_emoji_keep_no_language(text: str) -> None:
    assert GUESSER.guess(text) is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("symtoms", "en"),  # a typo of a listed word
        ("tratamieto", "es"),
        ("ayudaaaa", "es"),  # a letter held down
        ("HELPPP", "en"),
        ("i dont know what to do", "en"),  # no apostrophe
        ("I don’t know what to do", "en"),  # a curly one
        ("¿y ahora?", "es"),  # the marks only Spanish writes
    ],
)
def test_typos_held_letters_and_marks_still_tell(text: str, language: str) -> None:
    assert GUESSER.guess(text) == language


def test_a_word_nobody_listed_is_left_to_lingua_only_when_it_is_confident() -> None:
    assert GUESSER.votes("overwhelmed").unlisted == ("overwhelmed",)
    assert GUESSER.guess("overwhelmed") == "en"
    assert GUESSER.guess("desesperada") == "es"
    assert GUESSER.guess("hmm") is None  # too short to be a word of either


def test_half_of_each_language_is_neither() -> None:
    assert GUESSER.guess("hola hi") is None
    assert GUESSER.guess("help ayuda") is None


def test_most_words_decide_a_mixed_message() -> None:
    assert GUESSER.guess("mi mama tiene breast cancer que hago") == "es"
    assert GUESSER.guess("my abuela has cancer, what do i do") == "en"


def test_a_long_message_is_read_from_its_start_only() -> None:
    text = "tengo miedo " + "what is this " * 500
    assert len(text) > MAX_CHARACTERS
    assert GUESSER.guess(text) == "en"  # its first 300 characters are mostly English
    assert GUESSER.guess("tengo miedo de morir, " * 50) == "es"


def test_the_word_lists_never_claim_a_word_for_two_languages() -> None:
    assert not ENGLISH_WORDS & SPANISH_WORDS
    assert not (ENGLISH_WORDS | SPANISH_WORDS) & SHARED_WORDS


def test_the_content_lends_its_words_to_the_language_that_writes_them() -> None:
    words = vocabulary(CONTENT)
    assert words["metastatic"] == "en"
    assert words["metastasico"] == "es"
    assert words["diseminado"] == "es"
    assert "cancer" not in words  # both files write it
    assert not any(word.isdigit() for word in words)
