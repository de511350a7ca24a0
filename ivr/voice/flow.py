"""The call as a pure state machine: (state, what the caller did) -> the next step.

The state travels in the action URLs Twilio calls back, so any server can take any request.
Nothing here touches Flask, the network or the database; the view renders a Step as TwiML
and carries out its effects (remember the language, record an event, send a text).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from ivr.content import SITES_TOPIC, Content, LanguageContent
from ivr.voice.menus import (
    CANCERS_PER_PAGE,
    KEY_ANOTHER_CANCER,
    KEY_BACK,
    KEY_END,
    KEY_MAIN,
    KEY_MORE_CANCERS,
    KEY_NEXT,
    KEY_PERSON,
    KEY_REPEAT,
    KEY_SLOWER,
    KEY_SWITCH_LANGUAGE,
    KEY_TEXT,
    KEY_WHOLE_TABLE,
    LANGUAGE_KEYS,
    MENUS,
    menu_of,
)
from ivr.voice.speech import Heard, Vocabulary

MAX_TEXTS_PER_CALL = 3
SILENCES_BEFORE_GOODBYE = 3
PLACES = ("welcome", "menu", "answer", "answer-end", "cancers", "sites")


@dataclass(frozen=True)
class CallState:
    """Where a call stands. Every field survives a round trip through the action URL."""

    lang: str = ""  # "" until the caller has chosen
    at: str = "welcome"
    menu: str = "main"
    topic: str = ""
    part: int = 1  # 1-based part of the topic being played
    page: int = 1  # page of the list of cancer types
    cancer: str = ""  # at "sites": the type heard; "" means the whole table
    slow: bool = False
    quiet: int = 0  # silences in a row
    texts: int = 0  # text messages sent during this call
    tips: bool = False  # whether the keys for listening have been said

    def to_query(self) -> dict[str, str]:
        """The state as URL query parameters (defaults left out, to keep URLs short)."""
        out = {}
        for name, default in _DEFAULTS.items():
            value = getattr(self, name)
            if value != default:
                out[name] = str(int(value)) if isinstance(value, bool) else str(value)
        return out

    @classmethod
    def from_query(cls, query: Mapping[str, str], content: Content) -> CallState:
        """Read a state back; anything unknown or malformed falls back to a safe default."""
        values = {}
        for name, default in _DEFAULTS.items():
            raw = query.get(name)
            if raw is None:
                continue
            if isinstance(default, bool):
                values[name] = raw == "1"
            elif isinstance(default, int):
                values[name] = int(raw) if raw.isdigit() and len(raw) < 4 else default
            else:
                values[name] = raw[:40]
        state = cls(**values)
        return _sanitised(state, content)


_DEFAULTS = {name: getattr(CallState(), name) for name in CallState.__dataclass_fields__}


def _sanitised(state: CallState, content: Content) -> CallState:
    if state.lang not in content.languages:
        return CallState(quiet=min(state.quiet, 9))
    language = content[state.lang]
    topic_ids = {t.id for t in language.topics}
    cancer_ids = {c.id for c in language.cancers}
    if state.at not in PLACES or state.at == "welcome" or state.menu not in MENUS:
        return replace(CallState(), lang=state.lang, at="menu", slow=state.slow, tips=state.tips)
    if state.at in ("answer", "answer-end") and state.topic not in topic_ids:
        return replace(state, at="menu", menu="main", topic="")
    if state.topic:
        parts = len(language.topic(state.topic).parts) if state.topic in topic_ids else 1
        state = replace(state, part=min(max(state.part, 1), parts))
    pages = _page_count(language)
    state = replace(state, page=min(max(state.page, 1), pages))
    if state.cancer and state.cancer not in cancer_ids:
        state = replace(state, cancer="")
    return state


@dataclass(frozen=True)
class CallInput:
    """What the caller did: a key, words, silence, or the result of a dial or a text."""

    digits: str = ""
    speech: str = ""
    timeout: bool = False  # the Gather ended with nothing pressed or said
    dial_status: str = ""  # DialCallStatus after a transfer: completed, busy, no-answer, ...
    text_result: str = ""  # after a "text" step: "sent", "failed", "opted-out" or "limited"
    remembered: str = ""  # the language this number chose on an earlier call
    can_text: bool = False  # whether the line can send text messages


@dataclass(frozen=True)
class Utterance:
    """One thing the line says: its recording id, its text, language and speed."""

    id: str
    text: str
    lang: str
    slow: bool = False


@dataclass(frozen=True)
class Step:
    """What the line does next.

    then: "listen" (a menu: wait for a key or words), "play" (an answer part: a short pause,
    then the next part), "hangup", "dial" (put the caller through to a person) or "text"
    (send the answer by SMS, then ask next_step again with the result).
    """

    say: tuple[Utterance, ...]
    state: CallState
    then: str = "listen"
    remember: str = ""  # a language to store for this number
    event: tuple[str, str] | None = None  # (kind, topic) of an anonymous usage event


def next_step(
    state: CallState, heard: CallInput, content: Content, vocab: Mapping[str, Vocabulary]
) -> Step:
    """Decide what the line does next, given where the call stands and what the caller did."""
    if not state.lang:
        return _welcome(state, heard, content, vocab[""])
    lang = content[state.lang]
    if heard.dial_status:
        return _after_dial(state, heard, lang)
    if heard.text_result:
        return _after_text(state, heard, lang)
    if heard.timeout:
        if state.at == "answer":
            return _next_part(state, lang, heard)
        return _silence(state, lang, heard)
    state = replace(state, quiet=0)
    if not (heard.digits or heard.speech):
        # A redirect with nothing pressed or said (after an error, say): where the caller is.
        return _present(state, lang, heard)
    meaning = _meaning(heard, vocab[state.lang])
    if meaning is None:
        return _present(state, lang, heard, before=(_sorry(lang, heard),))
    return _act(state, meaning, lang, heard, content)


# -- meanings ------------------------------------------------------------------------------

_GLOBAL_KEYS = {KEY_PERSON: "person", KEY_REPEAT: "repeat", KEY_BACK: "back", KEY_MAIN: "menu"}
_ANSWER_KEYS = {KEY_NEXT: "next", KEY_SLOWER: "slower", KEY_TEXT: "text", KEY_END: "goodbye"}


def _meaning(heard: CallInput, vocab: Vocabulary) -> Heard | None:
    """A key or phrase as a command, topic or cancer; None when it means nothing."""
    if heard.digits:
        key = heard.digits[:1]
        if key in _GLOBAL_KEYS:
            return Heard("command", _GLOBAL_KEYS[key])
        return Heard("key", key)
    if heard.speech:
        return vocab.match(heard.speech)
    return None


def _act(
    state: CallState, meaning: Heard, lang: LanguageContent, heard: CallInput, content: Content
) -> Step:
    """Carry out a meaning at the place the call is."""
    if meaning.kind == "topic":
        return _start_answer(state, meaning.id, lang, heard)
    if meaning.kind == "cancer":
        return _sites(replace(state, cancer=meaning.id), lang)
    command = meaning.id if meaning.kind == "command" else _local_command(state, meaning.id, heard)
    if command == "person":
        return Step((_prompt(lang, "voice_transfer"),), state, then="dial", event=("transfer", ""))
    if command == "menu":
        return _present(replace(state, at="menu", menu="main", topic=""), lang, heard)
    if command == "repeat":
        return _repeat(state, lang, heard)
    if command == "back":
        return _back(state, lang, heard)
    if command in ("english", "spanish"):
        return _switch(state, "en" if command == "english" else "es", content, heard)
    if command == "goodbye":
        return Step((_prompt(lang, "voice_goodbye"),), state, then="hangup")
    if state.at in ("answer", "answer-end"):
        step = _answer_command(state, command, lang, heard)
        if step:
            return step
    if state.at == "menu" and command.startswith("choice:"):
        return _choose(state, int(command.split(":")[1]), lang, heard)
    if state.at == "cancers" and command.startswith("choice:"):
        return _choose_cancer(state, int(command.split(":")[1]), lang, heard)
    if state.at == "cancers" and command == "more":
        return _choose_cancer(state, int(KEY_MORE_CANCERS), lang, heard)
    if command == "table":
        return _sites(replace(state, cancer=""), lang)
    if state.at == "sites" and command in (f"choice:{KEY_ANOTHER_CANCER}", "more"):
        return _present(replace(state, at="cancers", page=1), lang, heard)
    if state.at == "sites" and command == f"choice:{KEY_WHOLE_TABLE}":
        return _sites(replace(state, cancer=""), lang)
    return _present(state, lang, heard, before=(_sorry(lang, heard),))


def _local_command(state: CallState, key: str, heard: CallInput) -> str:
    """What a key other than the global ones means where the call is."""
    if state.at in ("answer", "answer-end") and key in _ANSWER_KEYS:
        return _ANSWER_KEYS[key]
    if state.at == "menu" and state.menu == "main" and key == KEY_SWITCH_LANGUAGE:
        return "spanish" if state.lang == "en" else "english"
    if key.isdigit() and key != "0":
        return f"choice:{key}"
    return ""


# -- places --------------------------------------------------------------------------------


def _present(
    state: CallState,
    lang: LanguageContent,
    heard: CallInput,
    before: tuple[Utterance, ...] = (),
) -> Step:
    """Say where the caller is and what they can do there."""
    if state.at == "answer":
        return _play_part(state, lang, heard, before)
    if state.at == "answer-end":
        prompt = "voice_answer_end" if heard.can_text else "voice_answer_end_no_text"
        return Step(before + (_prompt(lang, prompt),), state)
    if state.at == "cancers":
        intro = (_prompt(lang, "voice_cancers_intro"),) if state.page == 1 else ()
        page = _prompt(lang, f"voice_cancers_page_{state.page}")
        return Step(before + intro + (page,), state)
    if state.at == "sites":
        return _sites(state, lang, before)
    menu = MENUS[state.menu]
    say = before + (_prompt(lang, menu.prompt),)
    return Step(say, replace(state, at="menu", topic=""))


def _start_answer(state: CallState, topic_id: str, lang: LanguageContent, heard: CallInput) -> Step:
    state = replace(state, at="answer", topic=topic_id, part=1, cancer="", page=1)
    title = lang.topic(topic_id).title
    intro = (Utterance(f"topic.{topic_id}.title", title, lang.code),)
    step = _play_part(state, lang, heard, intro)
    return replace(step, event=("answer", topic_id))


def _play_part(
    state: CallState, lang: LanguageContent, heard: CallInput, before: tuple[Utterance, ...]
) -> Step:
    tips: tuple[Utterance, ...] = ()
    if not state.tips:
        prompt = "voice_answer_keys" if heard.can_text else "voice_answer_keys_no_text"
        tips = (_prompt(lang, prompt),)
    text = lang.topic(state.topic).parts[state.part - 1]
    part = Utterance(f"topic.{state.topic}.{state.part}", text, lang.code, slow=state.slow)
    return Step(before + tips + (part,), replace(state, tips=True), then="play")


def _next_part(state: CallState, lang: LanguageContent, heard: CallInput) -> Step:
    """The part after this one, or what comes after the answer."""
    if state.part < len(lang.topic(state.topic).parts):
        return _play_part(replace(state, part=state.part + 1), lang, heard, ())
    if state.topic == SITES_TOPIC:
        return _present(replace(state, at="cancers", page=1), lang, heard)
    return _present(replace(state, at="answer-end"), lang, heard)


def _answer_command(
    state: CallState, command: str, lang: LanguageContent, heard: CallInput
) -> Step | None:
    if command == "next":
        if state.at == "answer-end":
            return None
        return _next_part(state, lang, heard)
    if command == "slower":
        state = replace(state, slow=not state.slow)
        said = _prompt(lang, "voice_slower" if state.slow else "voice_normal_speed")
        return _play_part(replace(state, at="answer"), lang, heard, (said,))
    if command == "text" and heard.can_text:
        if state.texts >= MAX_TEXTS_PER_CALL:
            return _present(state, lang, heard, before=(_prompt(lang, "voice_text_limit"),))
        return Step((), state, then="text")
    return None


def _choose(state: CallState, number: int, lang: LanguageContent, heard: CallInput) -> Step:
    menu = MENUS[state.menu]
    if not 1 <= number <= len(menu.choices):
        return _present(state, lang, heard, before=(_prompt(lang, "voice_wrong_key"),))
    kind, target = menu.choices[number - 1].split(":")
    if kind == "topic":
        return _start_answer(state, target, lang, heard)
    return _present(replace(state, at="menu", menu=target), lang, heard)


def _choose_cancer(state: CallState, number: int, lang: LanguageContent, heard: CallInput) -> Step:
    page = _page(lang, state.page)
    if 1 <= number <= len(page):
        return _sites(replace(state, at="sites", cancer=page[number - 1]), lang)
    if number == int(KEY_MORE_CANCERS):
        if state.page < _page_count(lang):
            return _present(replace(state, page=state.page + 1), lang, heard)
        return _sites(replace(state, at="sites", cancer=""), lang)
    return _present(state, lang, heard, before=(_prompt(lang, "voice_wrong_key"),))


def _sites(state: CallState, lang: LanguageContent, before: tuple[Utterance, ...] = ()) -> Step:
    """A type of cancer's three sites, or with no type the whole table, then what next."""
    state = replace(state, at="sites", topic=SITES_TOPIC)
    if state.cancer:
        cancers = (lang.cancer(state.cancer),)
        intro: tuple[Utterance, ...] = ()
    else:
        cancers = lang.cancers
        intro = (_prompt(lang, "voice_table_intro"),)
    rows = tuple(
        Utterance(f"sites.{c.id}", lang.sites_sentence(c), lang.code, slow=state.slow)
        for c in cancers
    )
    say = before + intro + rows + (_prompt(lang, "voice_sites_next"),)
    return Step(say, state, event=("sites", state.cancer or "table"))


def _repeat(state: CallState, lang: LanguageContent, heard: CallInput) -> Step:
    if state.at == "answer-end":
        # "Hear it again": the whole answer from the start.
        return _play_part(replace(state, at="answer", part=1), lang, heard, ())
    step = _present(state, lang, heard)
    return replace(step, event=None)


def _back(state: CallState, lang: LanguageContent, heard: CallInput) -> Step:
    if state.at == "answer" and state.part > 1:
        return _play_part(replace(state, part=state.part - 1), lang, heard, ())
    if state.at == "answer-end":
        last = len(lang.topic(state.topic).parts)
        return _play_part(replace(state, at="answer", part=last), lang, heard, ())
    if state.at == "answer":
        return _present(replace(state, at="menu", menu=menu_of(state.topic)), lang, heard)
    if state.at == "cancers" and state.page > 1:
        return _present(replace(state, page=state.page - 1), lang, heard)
    if state.at == "cancers":
        return _present(replace(state, at="menu", menu=menu_of(SITES_TOPIC)), lang, heard)
    if state.at == "sites":
        page = _page_number(lang, state.cancer) if state.cancer else _page_count(lang)
        return _present(replace(state, at="cancers", page=page), lang, heard)
    parent = MENUS[state.menu].parent
    if parent is None:
        return _present(state, lang, heard, before=(_prompt(lang, "voice_at_main_menu"),))
    return _present(replace(state, menu=parent), lang, heard)


def _switch(state: CallState, code: str, content: Content, heard: CallInput) -> Step:
    lang = content[code]
    state = replace(state, lang=code, at="menu", menu="main", topic="")
    step = _present(state, lang, heard, before=(_prompt(lang, "voice_keys"),))
    return replace(step, remember=code, event=("language", ""))


# -- the start of a call -------------------------------------------------------------------


def _welcome(state: CallState, heard: CallInput, content: Content, vocab: Vocabulary) -> Step:
    both = (content["en"], content["es"])
    if heard.dial_status == "completed":
        return Step(tuple(_prompt(lang, "voice_transfer_done") for lang in both), state, "hangup")
    if heard.dial_status:
        # Put through from the welcome and no one answered: say so, then the choices again.
        failed = tuple(_prompt(lang, "voice_transfer_failed") for lang in both)
        choices = tuple(_prompt(lang, "voice_choose_language") for lang in both)
        return Step(failed + choices, replace(state, quiet=0))
    if heard.remembered in content.languages and not (heard.digits or heard.speech):
        return _greet(heard.remembered, content, heard, remember="")
    choice = LANGUAGE_KEYS.get(heard.digits[:1]) if heard.digits else None
    meaning = vocab.match(heard.speech) if heard.speech else None
    if meaning and meaning.id in ("english", "spanish"):
        choice = "en" if meaning.id == "english" else "es"
    if choice:
        return _greet(choice, content, heard, remember=choice)
    if heard.digits == KEY_PERSON or (meaning and meaning.id == "person"):
        say = tuple(_prompt(lang, "voice_transfer") for lang in both)
        return Step(say, state, then="dial", event=("transfer", ""))
    choices = tuple(_prompt(lang, "voice_choose_language") for lang in both)
    if heard.timeout:
        quiet = state.quiet + 1
        if quiet >= SILENCES_BEFORE_GOODBYE:
            say = tuple(_prompt(lang, "voice_goodbye_silence") for lang in both)
            return Step(say, state, then="hangup")
        warning = "voice_still_there" if quiet == 1 else "voice_ending_soon"
        say = tuple(_prompt(lang, warning) for lang in both)
        return Step(say + choices, replace(state, quiet=quiet))
    if heard.digits or heard.speech:
        say = tuple(_sorry(lang, heard) for lang in both)
        return Step(say + choices, replace(state, quiet=0))
    welcome = tuple(_prompt(lang, "voice_welcome") for lang in both)
    return Step(welcome + choices, state, event=("call", ""))


def _greet(code: str, content: Content, heard: CallInput, remember: str) -> Step:
    """After the language is known: welcome back or credit, the key map, the main menu."""
    lang = content[code]
    other = content["es" if code == "en" else "en"]
    say = [Utterance("credit", lang.credit, code), _prompt(lang, "voice_keys")]
    if not remember:
        # A returning caller: greeted in their language, with a one-key switch.
        say = [_prompt(lang, "voice_welcome"), *say, _prompt(other, "voice_switch_language")]
    state = CallState(lang=code, at="menu", menu="main")
    step = _present(state, lang, heard, before=tuple(say))
    return replace(
        step, remember=remember, event=("call", "") if not remember else ("language", "")
    )


# -- silence, transfers and texts ------------------------------------------------------------


def _silence(state: CallState, lang: LanguageContent, heard: CallInput) -> Step:
    """Prompt again, then warn that the call will end, then say goodbye and hang up."""
    quiet = state.quiet + 1
    if quiet >= SILENCES_BEFORE_GOODBYE:
        return Step((_prompt(lang, "voice_goodbye_silence"),), state, then="hangup")
    warning = "voice_still_there" if quiet == 1 else "voice_ending_soon"
    step = _present(replace(state, quiet=quiet), lang, heard, before=(_prompt(lang, warning),))
    return replace(step, event=None)


def _after_dial(state: CallState, heard: CallInput, lang: LanguageContent) -> Step:
    if heard.dial_status == "completed":
        return Step((_prompt(lang, "voice_transfer_done"),), state, then="hangup")
    main = replace(state, at="menu", menu="main", topic="")
    return _present(main, lang, heard, before=(_prompt(lang, "voice_transfer_failed"),))


def _after_text(state: CallState, heard: CallInput, lang: LanguageContent) -> Step:
    results = {
        "sent": "voice_text_sent",
        "opted-out": "voice_text_opted_out",
        "limited": "voice_text_limit",
    }
    said = _prompt(lang, results.get(heard.text_result, "voice_text_failed"))
    sent = heard.text_result == "sent"
    if sent:
        state = replace(state, texts=state.texts + 1)
    step = _present(state, lang, heard, before=(said,))
    return replace(step, event=("text", state.topic) if sent else None)


# -- helpers -------------------------------------------------------------------------------


def _sorry(lang: LanguageContent, heard: CallInput) -> Utterance:
    """A short apology for words not understood, or for a key that does nothing here."""
    return _prompt(lang, "voice_not_understood" if heard.speech else "voice_wrong_key")


def _prompt(lang: LanguageContent, prompt_id: str) -> Utterance:
    return Utterance(f"prompt.{prompt_id}", lang.prompts[prompt_id], lang.code)


def _page(lang: LanguageContent, page: int) -> tuple[str, ...]:
    ids = [c.id for c in lang.cancers]
    start = (page - 1) * CANCERS_PER_PAGE
    return tuple(ids[start : start + CANCERS_PER_PAGE])


def _page_count(lang: LanguageContent) -> int:
    return -(-len(lang.cancers) // CANCERS_PER_PAGE)


def _page_number(lang: LanguageContent, cancer_id: str) -> int:
    index = [c.id for c in lang.cancers].index(cancer_id)
    return index // CANCERS_PER_PAGE + 1
