"""Keyword matching: every word of the content, typos, questions, numbers, opt-out and opt-in."""

from __future__ import annotations

import re
from dataclasses import replace
from types import MappingProxyType

import pytest
from rapidfuzz import fuzz

from ivr.content import LANGUAGES, Content, ContentError, fold, load_content
from ivr.sms.keywords import (
    FUZZY_THRESHOLD,
    OPT_IN_WORDS,
    OPT_OUT_THRESHOLD,
    OPT_OUT_WORDS,
    TWILIO_OPT_OUT,
    Intent,
    TextVocabulary,
    match_keyword,
)

CONTENT = load_content()
VOCABULARY = TextVocabulary.from_content(CONTENT)
COMMAND_INTENTS = {
    "more": Intent.MORE,
    "menu": Intent.MENU,
    "help": Intent.HELP,
    "sites": Intent.SITES,
    "slow": Intent.SLOW,
    "english": Intent.LANGUAGE,
    "spanish": Intent.LANGUAGE,
}


def words_of(kind: str) -> list[tuple[str, str, str]]:
    """(language, owner id, word) for every topic keyword, cancer synonym or command word."""
    rows = []
    for code in ("en", "es"):
        language = CONTENT[code]
        if kind == "topic":
            rows += [(code, t.id, w) for t in language.topics for w in t.keywords]
        elif kind == "hint":
            rows += [(code, t.id, h) for t in language.topics for h in t.speech_hints]
        elif kind == "cancer":
            rows += [(code, c.id, w) for c in language.cancers for w in (*c.synonyms, c.name)]
        else:
            rows += [(code, cid, w) for cid, words in language.commands.items() for w in words]
    return rows


def spellings(word: str) -> list[str]:
    """The word as written, shouted without accents, and as a question."""
    return [word, fold(word).upper(), f"¿{word}?" if word[0].isalpha() else word]


@pytest.mark.parametrize(("code", "topic", "word"), words_of("topic"))
def test_every_topic_keyword_picks_its_topic(code: str, topic: str, word: str) -> None:
    for text in spellings(word):
        match = match_keyword(text, VOCABULARY)
        assert (match.intent, match.topic) == (Intent.TOPIC, topic), text


@pytest.mark.parametrize(("code", "topic", "hint"), words_of("hint"))
def test_every_speech_hint_picks_its_topic_too(code: str, topic: str, hint: str) -> None:
    match = match_keyword(hint, VOCABULARY)
    assert (match.intent, match.topic) == (Intent.TOPIC, topic)


@pytest.mark.parametrize(("code", "cancer", "word"), words_of("cancer"))
def test_every_cancer_word_asks_for_its_sites(code: str, cancer: str, word: str) -> None:
    for text in spellings(word):
        match = match_keyword(text, VOCABULARY)
        assert (match.intent, match.cancer) == (Intent.SITES, cancer), text
    for sites_word in ("SITES",) if code == "en" else ("LUGARES", "SITIOS"):
        match = match_keyword(f"{sites_word} {word}", VOCABULARY)
        assert (match.intent, match.cancer) == (Intent.SITES, cancer)


@pytest.mark.parametrize(("code", "command", "word"), words_of("command"))
def test_every_command_word_is_understood(code: str, command: str, word: str) -> None:
    for text in spellings(word):
        match = match_keyword(text, VOCABULARY)
        assert match.intent is COMMAND_INTENTS[command], text
        assert match.cancer is None and match.topic is None


@pytest.mark.parametrize("number", range(1, 10))
def test_numbers_pick_topics_in_order(number: int) -> None:
    for text in (str(number), f"#{number}", f" {number}. "):
        match = match_keyword(text, VOCABULARY)
        assert match.topic == CONTENT["en"].topics[number - 1].id
        assert match.language is None  # a number says nothing about the language


@pytest.mark.parametrize("text", ["0", "10", "42", "3 4"])
def test_other_numbers_are_not_understood(text: str) -> None:
    assert match_keyword(text, VOCABULARY).intent is Intent.UNKNOWN


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("what are the symptoms?", "symptoms"),
        ("How is metastatic cancer treated?", "treatment"),
        ("where does cancer spread", "where-spread"),  # "spread" picks how-spread alone
        ("Where does it spread?", "where-spread"),
        ("how does cancer spread", "how-spread"),
        ("new treatments", "new-treatments"),  # "treatments" picks treatment alone
        ("Are there any new treatments for metastatic cancer?", "new-treatments"),
        ("tell me about clinical trials please", "new-treatments"),
        ("my cancer came back", "second-cancer"),
        ("¿Cuáles son los síntomas?", "symptoms"),
        ("¿Adónde se disemina el cáncer?", "where-spread"),
        ("¿cómo se disemina?", "how-spread"),
        ("quiero saber sobre nuevos tratamientos", "new-treatments"),
        ("more about symptoms", "symptoms"),  # a topic wins over a command
        ("help with treatment", "treatment"),
    ],
)
def test_short_questions_pick_the_most_specific_topic(text: str, topic: str) -> None:
    match = match_keyword(text, VOCABULARY)
    assert (match.intent, match.topic) == (Intent.TOPIC, topic)


@pytest.mark.parametrize(
    ("text", "cancer"),
    [
        ("SITES BREAST", "breast"),
        ("sitios mama", "breast"),
        ("SITIOS SENO", "breast"),
        ("LUGARES SENO", "breast"),
        ("cáncer de seno", "breast"),
        ("¿Adónde se disemina el cáncer de mama?", "breast"),
        ("Where does breast cancer spread?", "breast"),  # where-spread plus a type: its sites
        ("cáncer de páncreas", "pancreas"),
        ("lung", "lung"),
        ("SITIOS RIÑON", "kidney"),
    ],
)
def test_cancer_types_ask_for_sites(text: str, cancer: str) -> None:
    match = match_keyword(text, VOCABULARY)
    assert (match.intent, match.cancer) == (Intent.SITES, cancer)


def test_sites_alone_lists_the_types() -> None:
    for text in ("SITES", "lugares", "LUGAR", "sitios", "Tipos de cáncer"):
        match = match_keyword(text, VOCABULARY)
        assert (match.intent, match.cancer) == (Intent.SITES, None)


# Typos that must still be understood, and close words that must not be.
TYPOS = [
    ("symtoms", "symptoms"),
    ("sintomass", "symptoms"),
    ("tratamento", "treatment"),
    ("chemoterapy", "treatment"),
    ("metastatis", "what-is"),
    ("spred", "how-spread"),
    ("clinical trails", "new-treatments"),
    ("brest", "breast"),
    ("prostrate", "prostate"),
    ("pancreatico", "pancreas"),
]
NEAR_MISSES = [("color", "colon"), ("cancer", "cancel"), ("were", "where"), ("long", "lung")]


@pytest.mark.parametrize(("text", "owner"), TYPOS)
def test_small_typos_are_understood(text: str, owner: str) -> None:
    match = match_keyword(text, VOCABULARY)
    assert owner in (match.topic, match.cancer)


@pytest.mark.parametrize(("text", "word"), NEAR_MISSES)
def test_other_words_close_to_a_keyword_are_not_taken_for_it(text: str, word: str) -> None:
    match = match_keyword(text, VOCABULARY)
    assert match.intent is Intent.UNKNOWN


def test_the_threshold_sits_between_typos_and_other_words() -> None:
    typo_scores = [fuzz.ratio("symtoms", "symptoms"), fuzz.ratio("brest", "breast")]
    other_scores = [fuzz.ratio("color", "colon"), fuzz.ratio("cancer", "cancel")]
    assert max(other_scores) < FUZZY_THRESHOLD <= min(typo_scores)
    assert fuzz.ratio("cancer", "cancel") < OPT_OUT_THRESHOLD <= fuzz.ratio("stopp", "stop")


def test_the_language_of_the_message_is_read_from_its_words() -> None:
    assert match_keyword("SINTOMAS", VOCABULARY).language == "es"
    assert match_keyword("symptoms", VOCABULARY).language == "en"
    assert match_keyword("colon", VOCABULARY).language is None  # the same in both
    assert match_keyword("¿qué es esto?", VOCABULARY).language == "es"  # accents tell
    switch = match_keyword("symptoms in spanish", VOCABULARY)
    assert (switch.topic, switch.switch_to) == ("symptoms", "es")
    assert match_keyword("ESPANOL", VOCABULARY).switch_to == "es"
    assert match_keyword("inglés", VOCABULARY).switch_to == "en"


@pytest.mark.parametrize("word", sorted(OPT_OUT_WORDS))
def test_every_opt_out_word_opts_out(word: str) -> None:
    for text in (word, word.upper(), f"{word.upper()}!", f"please {word}"):
        match = match_keyword(text, VOCABULARY)
        assert match.intent is Intent.OPT_OUT, text
        assert match.language == OPT_OUT_WORDS[word]


@pytest.mark.parametrize(
    "text",
    [
        "Stop texting me",
        "STOP please",
        "stopp",
        "Unsubscibe",
        "no más mensajes",
        "Parar ya",
        "stop messaging me",
        "stop sending me these",
        "no more texts",
        "please unsubscribe me from this",
        "cancel my subscription",
        "parar mensajes",
    ],
)
def test_opt_out_phrases_and_typos_opt_out(text: str) -> None:
    assert match_keyword(text, VOCABULARY).intent is Intent.OPT_OUT


@pytest.mark.parametrize(
    "text",
    [
        "how do I stop cancer from spreading",
        "cancer",
        "end of treatment",
        "quit smoking",
        "cancel my appointment",
        "stop the pain",
    ],
)
def test_sentences_that_merely_contain_an_opt_out_word_do_not(text: str) -> None:
    assert match_keyword(text, VOCABULARY).intent is not Intent.OPT_OUT


def test_twilio_handles_only_its_own_exact_words() -> None:
    for word in TWILIO_OPT_OUT:
        assert match_keyword(f"  {word.lower()} ", VOCABULARY).handled_by_twilio
    assert not match_keyword("STOP.", VOCABULARY).handled_by_twilio
    assert not match_keyword("PARAR", VOCABULARY).handled_by_twilio
    assert not match_keyword("stop texting me", VOCABULARY).handled_by_twilio


def test_no_content_word_is_ever_taken_for_an_opt_out() -> None:
    for kind in ("topic", "hint", "cancer", "command"):
        for _, _, word in words_of(kind):
            assert match_keyword(word, VOCABULARY).intent is not Intent.OPT_OUT, word


@pytest.mark.parametrize("word", sorted(OPT_IN_WORDS))
def test_every_opt_in_word_opts_in(word: str) -> None:
    for text in (word, word.upper(), f"{word}!"):
        match = match_keyword(text, VOCABULARY)
        assert (match.intent, match.language) == (Intent.OPT_IN, OPT_IN_WORDS[word])
    assert match_keyword("Sí", VOCABULARY).intent is Intent.OPT_IN


@pytest.mark.parametrize("code", LANGUAGES)
@pytest.mark.parametrize(
    ("prompt_id", "intent"),
    [
        ("sms_opted_out", Intent.OPT_IN),
        ("voice_text_opted_out", Intent.OPT_IN),
        ("sms_opted_in", Intent.OPT_OUT),
        ("sms_help", Intent.OPT_OUT),
    ],
)
def test_opt_in_and_out_texts_name_words_of_their_own_language(
    code: str, prompt_id: str, intent: Intent
) -> None:
    shouted = re.findall(r"\b[A-ZÁÉÍÓÚÑ]{4,}\b", CONTENT[code].prompt(prompt_id))
    named = [word for word in shouted if match_keyword(word, VOCABULARY).intent is intent]
    assert named, prompt_id
    assert {match_keyword(word, VOCABULARY).language for word in named} == {code}, named


def test_opt_in_needs_the_word_alone() -> None:
    assert match_keyword("yes I have symptoms", VOCABULARY).topic == "symptoms"


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "\x00\x07\x1b", "?!...", "\u200b"])
def test_messages_without_words_are_empty(text: str) -> None:
    assert match_keyword(text, VOCABULARY).intent is Intent.EMPTY


def test_long_messages_are_read_from_their_start() -> None:
    assert match_keyword("x" * 2000, VOCABULARY).intent is Intent.UNKNOWN
    question = "what are the symptoms " + "and " * 600
    assert match_keyword(question, VOCABULARY).topic == "symptoms"
    assert match_keyword("and " * 600 + "symptoms", VOCABULARY).intent is Intent.UNKNOWN


def test_not_understood_offers_the_closest_word_of_each_language() -> None:
    assert dict(match_keyword("lugn", VOCABULARY).suggestions).get("en") == "LUNG"
    assert dict(match_keyword("utro", VOCABULARY).suggestions).get("es") == "ÚTERO"
    assert match_keyword("zzzz qqq", VOCABULARY).suggestions == ()


@pytest.mark.parametrize(
    "text", ["live", "long", "I want", "vivir", "how long will this take", "quiero vivir mucho"]
)
def test_no_guess_for_ordinary_words(text: str) -> None:
    # "live" is no typo of LIVER, "long" none of LUNG, "vivir" none of anything.
    assert match_keyword(text, VOCABULARY).suggestions == ()


def test_a_guess_is_a_keyword_of_the_reply_language() -> None:
    assert "LUNG" in VOCABULARY.hint_words("en") and "LUNG" not in VOCABULARY.hint_words("es")
    assert "PULMÓN" in VOCABULARY.hint_words("es")
    assert "PULMÓN" not in VOCABULARY.hint_words("en")


def _with_topic(content: Content, code: str, index: int, **changes: object) -> Content:
    language = content[code]
    topics = list(language.topics)
    topics[index] = replace(topics[index], **changes)
    languages = dict(content.languages) | {code: replace(language, topics=tuple(topics))}
    return Content(MappingProxyType(languages))


def test_a_speech_hint_two_topics_share_picks_neither() -> None:
    shared = "tell me everything"
    content = _with_topic(CONTENT, "en", 0, speech_hints=(shared,))
    content = _with_topic(content, "en", 4, speech_hints=(shared,))
    vocabulary = TextVocabulary.from_content(content)
    assert fold(shared) not in vocabulary.phrases
    assert match_keyword(shared, vocabulary).intent is Intent.UNKNOWN


def test_a_hint_never_overrides_a_keyword() -> None:
    content = _with_topic(CONTENT, "en", 0, speech_hints=("symptoms",))
    assert match_keyword("symptoms", TextVocabulary.from_content(content)).topic == "symptoms"


def test_the_commands_the_line_needs_must_all_be_in_the_content() -> None:
    language = CONTENT["en"]
    commands = {k: v for k, v in language.commands.items() if k != "more"}
    languages = dict(CONTENT.languages) | {
        "en": replace(language, commands=MappingProxyType(commands))
    }
    with pytest.raises(ContentError, match="commands"):
        TextVocabulary.from_content(Content(MappingProxyType(languages)))
