"""The call as a pure state machine: (state, what the caller did) -> the next step.

The state travels in the action URLs Twilio calls back, so any server can take any request.
Nothing here touches Flask, the network or the database: a step says what to speak, where the
call then stands and what should happen (remember a language, record an event, send a text);
the views render it and carry its effects out.

Where a caller's input is handled: `understand` turns a key (menus.key_meaning) or words
(speech.SpeechVocabulary) into a Meaning; a Command is then looked up in ANYWHERE, and
anything else in AT_PLACE[state.at].
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from ivr.concerns import Concern
from ivr.content import SITES_TOPIC, Cancer, Content, LanguageContent
from ivr.voice.menus import (
    KEY_ANOTHER_CANCER,
    KEY_MORE_CANCERS,
    KEY_PERSON,
    KEY_WHOLE_TABLE,
    LANGUAGE_KEYS,
    MENUS,
    ToTopic,
    key_meaning,
    menu_of,
    page_count,
    page_number,
    page_of_cancers,
)
from ivr.voice.protocol import (
    CallInput,
    CallState,
    CancerAsked,
    Choice,
    Command,
    DialStatus,
    Effect,
    EventKind,
    Meaning,
    MenuId,
    Place,
    RecordEvent,
    RememberLanguage,
    SendAnswerText,
    SendNumberText,
    Step,
    Texting,
    Then,
    TopicAsked,
    Utterance,
)
from ivr.voice.speech import SpeechVocabulary

MAX_TEXTS_PER_CALL = 3
# The miss ladder: the second key or words in a row that mean nothing offer a person (0) and
# texting; the third asks whether to connect now.
MISSES_BEFORE_ASKING = 3
# The silence ladder: the warning said before the menu again after each silence in a row;
# one silence more than there are warnings says goodbye and hangs up.
SILENCE_WARNINGS = ("voice_still_there", "voice_ending_soon")
# What the caller hears when they ask for a text, by whether it may go.
TEXTING_PROMPTS = MappingProxyType(
    {
        Texting.ALLOWED: "voice_text_sending",
        Texting.OPTED_OUT: "voice_text_opted_out",
        Texting.LIMITED: "voice_text_limit",
        Texting.UNKNOWN: "voice_text_failed",
    }
)


@dataclass(frozen=True)
class _Turn:
    """One request's givens: the caller's language content and what they did."""

    lang: LanguageContent
    heard: CallInput
    content: Content


def next_step(
    state: CallState,
    heard: CallInput,
    content: Content,
    vocab: Mapping[str, SpeechVocabulary],
) -> Step:
    """Decide what the line does next, given where the call stands and what the caller did."""
    if not state.lang:
        return _welcome(state, heard, content, vocab)
    turn = _Turn(content[state.lang], heard, content)
    if heard.dial is not None:
        return _after_dial(state, turn)
    if heard.timeout:
        if state.at is Place.ANSWER:
            return _next_part(state, turn)
        if state.at is Place.NO_ANSWER:  # no text wanted: back where they were
            return _present(replace(state, at=state.resume, resume=Place.MENU), turn)
        return _silence(state, turn)
    state = replace(state, quiet=0)
    if not (heard.digits or heard.speech):
        # A redirect with nothing pressed or said (after an error, say): where the caller is.
        return _present(state, turn)
    meaning = understand(state, heard, vocab[state.lang])
    step = _sorry(state, turn) if meaning is None else _act(state, meaning, turn)
    if step.state.misses == state.misses and state.misses:
        # Understood: the count of misses in a row starts again.
        step = replace(step, state=replace(step.state, misses=0))
    return step


def understand(state: CallState, heard: CallInput, vocab: SpeechVocabulary) -> Meaning | None:
    """A key or phrase as a command, a numbered choice, a topic or a cancer; None: nothing."""
    if heard.digits:
        key = heard.digits[:1]
        command = key_meaning(key, state.at, state.menu)
        if command is not None:
            return command
        return Choice(int(key)) if key.isdigit() else None
    if heard.speech:
        return vocab.match(heard.speech)
    return None


def _act(state: CallState, meaning: Meaning, turn: _Turn) -> Step:
    """Carry out a meaning at the place the call is; anything that means nothing there: sorry."""
    if isinstance(meaning, TopicAsked):
        return _start_answer(state, meaning.topic_id, turn)
    if isinstance(meaning, CancerAsked):
        return _sites(replace(state, cancer=meaning.cancer_id), turn)
    if isinstance(meaning, Concern):
        return ON_CONCERN[meaning](state, turn)
    anywhere = ANYWHERE.get(meaning) if isinstance(meaning, Command) else None
    step = anywhere(state, turn) if anywhere else AT_PLACE[state.at](state, meaning, turn)
    return step if step is not None else _sorry(state, turn)


# -- commands that mean the same everywhere ---------------------------------------------------


def _person(state: CallState, turn: _Turn) -> Step:
    say = (_prompt(turn.lang, "voice_transfer"),)
    return Step(say, state, Then.DIAL, (RecordEvent(EventKind.TRANSFER),))


def _main_menu(state: CallState, turn: _Turn) -> Step:
    return _present(replace(state, at=Place.MENU, menu=MenuId.MAIN, topic=""), turn)


def _repeat(state: CallState, turn: _Turn) -> Step:
    if state.at is Place.ANSWER_END:
        # "Hear it again": the whole answer from the start.
        return _play_part(replace(state, at=Place.ANSWER, part=1), turn)
    return replace(_present(state, turn), effects=())


def _back(state: CallState, turn: _Turn) -> Step:
    lang = turn.lang
    if state.at in (Place.CRISIS, Place.OFFER, Place.NO_ANSWER):
        return _main_menu(state, turn)
    if state.at is Place.ANSWER and state.part > 1:
        return _play_part(replace(state, part=state.part - 1), turn)
    if state.at is Place.ANSWER_END:
        last = len(lang.topic(state.topic).parts)
        return _play_part(replace(state, at=Place.ANSWER, part=last), turn)
    if state.at is Place.ANSWER:
        return _present(replace(state, at=Place.MENU, menu=menu_of(state.topic)), turn)
    if state.at is Place.CANCERS and state.page > 1:
        return _present(replace(state, page=state.page - 1), turn)
    if state.at is Place.CANCERS:
        return _present(replace(state, at=Place.MENU, menu=menu_of(SITES_TOPIC)), turn)
    if state.at is Place.SITES:
        page = page_number(lang, state.cancer) if state.cancer else page_count(lang)
        return _present(replace(state, at=Place.CANCERS, page=page), turn)
    parent = MENUS[state.menu].parent
    if parent is None:
        return _present(state, turn, before=(_prompt(lang, "voice_at_main_menu"),))
    return _present(replace(state, menu=parent), turn)


def _switch_to(code: str) -> Callable[[CallState, _Turn], Step]:
    def switch(state: CallState, turn: _Turn) -> Step:
        return _switch(state, code, turn)

    return switch


def _other_language(state: CallState, turn: _Turn) -> Step:
    return _switch(state, "es" if state.lang == "en" else "en", turn)


def _goodbye(state: CallState, turn: _Turn) -> Step:
    return Step((_prompt(turn.lang, "voice_goodbye"),), state, Then.HANGUP)


def _key_map(state: CallState, turn: _Turn) -> Step:
    """The keys that work everywhere, on request; then where the caller is."""
    return _present(replace(state, keys=True), turn, before=(_prompt(turn.lang, "voice_keys"),))


def _more_time(state: CallState, turn: _Turn) -> Step:
    """Longer pauses for the rest of the call, said so; asked twice, said that it is so."""
    said = "voice_more_time_already" if state.patient else "voice_more_time"
    step = _present(replace(state, patient=True), turn, before=(_prompt(turn.lang, said),))
    return replace(step, effects=(*step.effects, RecordEvent(EventKind.MORE_TIME)))


def _table(state: CallState, turn: _Turn) -> Step:
    return _sites(replace(state, cancer=""), turn)


# A command found here is done wherever the caller is; any other goes to AT_PLACE.
ANYWHERE: Mapping[Command, Callable[[CallState, _Turn], Step]] = MappingProxyType(
    {
        Command.PERSON: _person,
        Command.MAIN_MENU: _main_menu,
        Command.REPEAT: _repeat,
        Command.BACK: _back,
        Command.ENGLISH: _switch_to("en"),
        Command.SPANISH: _switch_to("es"),
        Command.OTHER_LANGUAGE: _other_language,
        Command.GOODBYE: _goodbye,
        Command.TABLE: _table,
        Command.KEYS: _key_map,
        Command.MORE_TIME: _more_time,
    }
)


# -- hard moments: heard at every place, before anything else ------------------------------


def _distress(state: CallState, turn: _Turn) -> Step:
    """The crisis numbers, and the Lifeline one key (or "yes") away."""
    crisis = replace(state, at=Place.CRISIS, quiet=0)
    return replace(_present(crisis, turn), effects=(RecordEvent(EventKind.DISTRESS),))


def _personal(state: CallState, turn: _Turn) -> Step:
    """What the line can't answer, who can, and where the fact sheet speaks; then where it was."""
    said = (_prompt(turn.lang, "voice_personal"),)
    return replace(_present(state, turn, before=said), effects=(RecordEvent(EventKind.PERSONAL),))


ON_CONCERN: Mapping[Concern, Callable[[CallState, _Turn], Step]] = MappingProxyType(
    {Concern.DISTRESS: _distress, Concern.PERSONAL: _personal}
)


# -- what a meaning does at each place --------------------------------------------------------


def _at_answer(state: CallState, meaning: Meaning, turn: _Turn) -> Step | None:
    """While an answer plays or just after it: skip ahead, slower, text me this."""
    if meaning is Command.NEXT and state.at is Place.ANSWER:
        return _next_part(state, turn)
    if meaning is Command.SLOWER:
        state = replace(state, slow=not state.slow)
        said = _prompt(turn.lang, "voice_slower" if state.slow else "voice_normal_speed")
        return _play_part(replace(state, at=Place.ANSWER), turn, (said,))
    if meaning is Command.TEXT and turn.heard.can_text:
        return _text_answer(state, turn)
    return None


def _at_menu(state: CallState, meaning: Meaning, turn: _Turn) -> Step | None:
    """Key N at a menu: its Nth choice, an answer or another menu."""
    if not isinstance(meaning, Choice):
        return None
    choices = MENUS[state.menu].choices
    if not 1 <= meaning.number <= len(choices):
        return _wrong_key(state, turn)
    choice = choices[meaning.number - 1]
    if isinstance(choice, ToTopic):
        return _start_answer(state, choice.topic_id, turn)
    return _present(replace(state, at=Place.MENU, menu=choice.menu), turn)


def _at_cancers(state: CallState, meaning: Meaning, turn: _Turn) -> Step | None:
    """Key N on a page of cancer types: that type's sites; 5 (or "more"): the next page."""
    if meaning is Command.MORE:
        meaning = Choice(KEY_MORE_CANCERS)
    if not isinstance(meaning, Choice):
        return None
    page = page_of_cancers(turn.lang, state.page)
    if 1 <= meaning.number <= len(page):
        return _sites(replace(state, at=Place.SITES, cancer=page[meaning.number - 1]), turn)
    if meaning.number == KEY_MORE_CANCERS:
        if state.page < page_count(turn.lang):
            return _present(replace(state, page=state.page + 1), turn)
        return _sites(replace(state, at=Place.SITES, cancer=""), turn)
    return _wrong_key(state, turn)


def _at_sites(state: CallState, meaning: Meaning, turn: _Turn) -> Step | None:
    """After a type's sites: 1 (or "more") another type, 2 the whole table."""
    if meaning in (Choice(KEY_ANOTHER_CANCER), Command.MORE):
        return _present(replace(state, at=Place.CANCERS, page=1), turn)
    if meaning == Choice(KEY_WHOLE_TABLE):
        return _table(state, turn)
    return None


def _at_crisis(state: CallState, meaning: Meaning, turn: _Turn) -> Step | None:
    """At the crisis offer: 1 or "yes" connects to the crisis line (0 is a person, anywhere)."""
    if meaning in (Choice(1), Command.YES):
        return Step((_prompt(turn.lang, "voice_crisis_connecting"),), state, Then.DIAL_CRISIS)
    return None


def _at_offer(state: CallState, meaning: Meaning, turn: _Turn) -> Step | None:
    """Asked "a person now?": 1 or "yes" connects, 2 or "no" is the main menu."""
    if meaning in (Choice(1), Command.YES):
        return _person(state, turn)
    if meaning in (Choice(2), Command.NO):
        return _main_menu(state, turn)
    return None


def _at_no_answer(state: CallState, meaning: Meaning, turn: _Turn) -> Step:
    """After a failed transfer: 3 (or "text me") texts the number; anything else goes on."""
    back = replace(state, at=state.resume, resume=Place.MENU)
    if meaning not in (Choice(3), Command.TEXT):
        return _present(back, turn)
    texting = turn.heard.texting()
    prompt = "voice_number_sending" if texting is Texting.ALLOWED else TEXTING_PROMPTS[texting]
    step = _present(back, turn, before=(_prompt(turn.lang, prompt),))
    if texting is not Texting.ALLOWED:
        return step
    return replace(step, effects=(SendNumberText(state.lang), RecordEvent(EventKind.TEXT)))


def _nothing_here(state: CallState, meaning: Meaning, turn: _Turn) -> Step | None:
    return None


# The handler of every meaning that is not a Command in ANYWHERE, by where the caller is.
AT_PLACE: Mapping[Place, Callable[[CallState, Meaning, _Turn], Step | None]] = MappingProxyType(
    {
        Place.WELCOME: _nothing_here,  # never reached: a call without a language is welcomed
        Place.MENU: _at_menu,
        Place.ANSWER: _at_answer,
        Place.ANSWER_END: _at_answer,
        Place.CANCERS: _at_cancers,
        Place.SITES: _at_sites,
        Place.CRISIS: _at_crisis,
        Place.OFFER: _at_offer,
        Place.NO_ANSWER: _at_no_answer,
    }
)


# -- places --------------------------------------------------------------------------------


def _present(state: CallState, turn: _Turn, before: tuple[Utterance, ...] = ()) -> Step:
    """Say where the caller is and what they can do there."""
    lang = turn.lang
    if state.at is Place.ANSWER:
        return _play_part(state, turn, before)
    if state.at is Place.ANSWER_END:
        prompt = "voice_answer_end" if turn.heard.can_text else "voice_answer_end_no_text"
        # The first answer's end: where the full credit and the key map cost nobody time.
        said_once = () if state.keys else (_credit(lang), _prompt(lang, "voice_keys"))
        return Step(before + said_once + (_prompt(lang, prompt),), replace(state, keys=True))
    if state.at is Place.CANCERS:
        intro = (_prompt(lang, "voice_cancers_intro"),) if state.page == 1 else ()
        page = _prompt(lang, f"voice_cancers_page_{state.page}")
        return Step(before + intro + (page,), state)
    if state.at is Place.SITES:
        return _sites(state, turn, before)
    if state.at is Place.CRISIS:
        return Step(before + (_prompt(lang, "voice_distress"),), state)
    if state.at is Place.OFFER:
        return Step(before + (_prompt(lang, "voice_miss_connect"),), state)
    if state.at is Place.NO_ANSWER:
        return Step(before + (_prompt(lang, "voice_number_offer"),), state)
    menu = MENUS[state.menu]
    say = before + (_prompt(lang, menu.prompt),)
    return Step(say, replace(state, at=Place.MENU, topic=""))


def _start_answer(state: CallState, topic_id: str, turn: _Turn) -> Step:
    state = replace(state, at=Place.ANSWER, topic=topic_id, part=1, cancer="", page=1)
    title = turn.lang.topic(topic_id).title
    intro = (Utterance(f"topic.{topic_id}.title", title, turn.lang.code),)
    step = _play_part(state, turn, intro)
    return replace(step, effects=(RecordEvent(EventKind.ANSWER, topic_id),))


def _play_part(state: CallState, turn: _Turn, before: tuple[Utterance, ...] = ()) -> Step:
    lang = turn.lang
    tips: tuple[Utterance, ...] = ()
    if not state.tips:
        prompt = "voice_answer_keys" if turn.heard.can_text else "voice_answer_keys_no_text"
        tips = (_prompt(lang, prompt),)
    text = lang.topic(state.topic).spoken_part(state.part)
    part = Utterance(f"topic.{state.topic}.{state.part}", text, lang.code, slow=state.slow)
    # The answer first, then how to listen: the first word of an answer comes sooner.
    return Step(before + (part,) + tips, replace(state, tips=True), Then.PLAY)


def _next_part(state: CallState, turn: _Turn) -> Step:
    """The part after this one, or what comes after the answer."""
    if state.part < len(turn.lang.topic(state.topic).parts):
        return _play_part(replace(state, part=state.part + 1), turn)
    if state.topic == SITES_TOPIC:
        return _present(replace(state, at=Place.CANCERS, page=1), turn)
    return _present(replace(state, at=Place.ANSWER_END), turn)


def _sites(state: CallState, turn: _Turn, before: tuple[Utterance, ...] = ()) -> Step:
    """A type of cancer's three sites, or with no type the whole table, then what next."""
    lang = turn.lang
    state = replace(state, at=Place.SITES, topic=SITES_TOPIC)
    cancers: tuple[Cancer, ...] = lang.cancers
    intro: tuple[Utterance, ...] = (_prompt(lang, "voice_table_intro"),)
    if state.cancer:
        cancers, intro = (lang.cancer(state.cancer),), ()
    rows = tuple(
        Utterance(f"sites.{c.id}", lang.sites_sentence(c), lang.code, slow=state.slow)
        for c in cancers
    )
    say = before + intro + rows + (_prompt(lang, "voice_sites_next"),)
    return Step(say, state, effects=(RecordEvent(EventKind.SITES, state.cancer or "table"),))


def _switch(state: CallState, code: str, turn: _Turn) -> Step:
    lang = turn.content[code]
    state = replace(state, lang=code, at=Place.MENU, menu=MenuId.MAIN, topic="")
    step = _present(state, replace(turn, lang=lang), before=(_prompt(lang, "voice_keys"),))
    return replace(step, effects=(RememberLanguage(code), RecordEvent(EventKind.LANGUAGE)))


def _text_answer(state: CallState, turn: _Turn) -> Step:
    """Text me this: said honestly before it goes; the text itself goes after the response."""
    if state.texts >= MAX_TEXTS_PER_CALL:
        return _present(state, turn, before=(_prompt(turn.lang, "voice_text_limit"),))
    texting = turn.heard.texting()
    said = (_prompt(turn.lang, TEXTING_PROMPTS[texting]),)
    if texting is not Texting.ALLOWED:
        return _present(state, turn, before=said)
    state = replace(state, texts=state.texts + 1)
    effects: tuple[Effect, ...] = (
        SendAnswerText(state.lang, state.topic),
        RecordEvent(EventKind.TEXT, state.topic),
    )
    return replace(_present(state, turn, before=said), effects=effects)


# -- the start of a call -------------------------------------------------------------------


def _welcome(
    state: CallState,
    heard: CallInput,
    content: Content,
    languages: Mapping[str, SpeechVocabulary],
) -> Step:
    both = (content["en"], content["es"])
    vocab = languages[""]

    def said_in_both(prompt_id: str) -> tuple[Utterance, ...]:
        return tuple(_prompt(lang, prompt_id) for lang in both)

    if heard.dial is DialStatus.COMPLETED:
        return Step(said_in_both("voice_transfer_done"), state, Then.HANGUP)
    choices = said_in_both("voice_choose_language")
    if heard.dial is not None:
        # Put through from the welcome and no one answered: say so, then the choices again.
        return Step(said_in_both("voice_transfer_failed") + choices, replace(state, quiet=0))
    if heard.remembered in content.languages and not (heard.digits or heard.speech):
        return _greet(heard.remembered, content, heard, returning=True)
    choice = LANGUAGE_KEYS.get(heard.digits[:1]) if heard.digits else None
    meaning = vocab.match(heard.speech) if heard.speech else None
    if meaning in (Command.ENGLISH, Command.SPANISH):
        choice = "en" if meaning is Command.ENGLISH else "es"
    if choice:
        return _greet(choice, content, heard, returning=False)
    if heard.speech and meaning is not Command.PERSON:
        asked = _asked_at_welcome(heard, content, languages)
        if asked:
            return asked
    if heard.digits == KEY_PERSON or meaning is Command.PERSON:
        return Step(
            said_in_both("voice_transfer"), state, Then.DIAL, (RecordEvent(EventKind.TRANSFER),)
        )
    if heard.timeout:
        quiet = state.quiet + 1
        warning = _silence_warning(quiet)
        if warning is None:
            return Step(said_in_both("voice_goodbye_silence"), state, Then.HANGUP)
        return Step(said_in_both(warning) + choices, replace(state, quiet=quiet))
    if heard.digits or heard.speech:
        sorry = tuple(_sorry_prompt(lang, heard) for lang in both)
        return Step(sorry + choices, replace(state, quiet=0))
    # One short opening that is already the choice: each language's key, then a question.
    welcome = said_in_both("voice_welcome") + said_in_both("voice_welcome_ask")
    return Step(welcome, state, effects=(RecordEvent(EventKind.CALL),))


def _asked_at_welcome(
    heard: CallInput, content: Content, languages: Mapping[str, SpeechVocabulary]
) -> Step | None:
    """Words at the bilingual welcome: a question or a hard moment, in the language it is in."""
    order = [heard.language] if heard.language else []
    order += [code for code in ("en", "es") if code not in order]
    for code in order:
        meaning = languages[code].match(heard.speech)
        if isinstance(meaning, TopicAsked | CancerAsked | Concern):
            state = CallState(lang=code, at=Place.MENU, menu=MenuId.MAIN)
            step = _act(state, meaning, _Turn(content[code], heard, content))
            # A question asked is answered at once: the opening has named the source.
            chosen = (RememberLanguage(code), RecordEvent(EventKind.LANGUAGE))
            return replace(step, effects=chosen + step.effects)
    return None


def _greet(code: str, content: Content, heard: CallInput, returning: bool) -> Step:
    """After the language is known: the main menu at once, and how to reach a person.

    The full credit and the key map come later, where they cost nobody time (at the end of
    the first answer, or when asked for); a returning caller is welcomed back first, and
    offered the other language last.
    """
    lang = content[code]
    other = content["es" if code == "en" else "en"]
    state = CallState(lang=code, at=Place.MENU, menu=MenuId.MAIN)
    menu = _present(state, _Turn(lang, heard, content))
    say = (*menu.say, _prompt(lang, "voice_person_anytime"))
    if returning:
        # Greeted in the language they chose before, with a one-key switch; nothing to store.
        say = (_prompt(lang, "voice_welcome_back"), *say, _prompt(other, "voice_switch_language"))
        return Step(say, menu.state, effects=(RecordEvent(EventKind.CALL),))
    chosen = (RememberLanguage(code), RecordEvent(EventKind.LANGUAGE))
    return Step(say, menu.state, effects=chosen)


# -- silence and transfers -------------------------------------------------------------------


def _silence(state: CallState, turn: _Turn) -> Step:
    """Prompt again, then warn that the call will end, then say goodbye and hang up."""
    quiet = state.quiet + 1
    warning = _silence_warning(quiet)
    if warning is None:
        return Step((_prompt(turn.lang, "voice_goodbye_silence"),), state, Then.HANGUP)
    step = _present(replace(state, quiet=quiet), turn, before=(_prompt(turn.lang, warning),))
    return replace(step, effects=())


def _silence_warning(quiet: int) -> str | None:
    """The prompt to warn with after this many silences in a row; None: time to hang up."""
    return SILENCE_WARNINGS[quiet - 1] if quiet <= len(SILENCE_WARNINGS) else None


def _after_dial(state: CallState, turn: _Turn) -> Step:
    if turn.heard.dial is DialStatus.COMPLETED:
        return Step((_prompt(turn.lang, "voice_transfer_done"),), state, Then.HANGUP)
    if state.at is Place.CRISIS:
        # The numbers again, slowly, then the same offer: nobody is left without a way.
        return _present(state, turn, before=(_prompt(turn.lang, "voice_crisis_failed"),))
    # The number itself, slowly and twice; a text of it offered; then back where they were.
    failed = (_prompt(turn.lang, "voice_transfer_failed"),)
    if not turn.heard.can_text:
        return _present(state, turn, before=failed)
    waiting = replace(state, at=Place.NO_ANSWER, resume=state.at)
    return _present(waiting, turn, before=failed)


# -- helpers -------------------------------------------------------------------------------


def _sorry(state: CallState, turn: _Turn) -> Step:
    """Say sorry, then where the caller is; after two misses in a row, a person is offered."""
    return _missed(state, turn, _sorry_prompt(turn.lang, turn.heard))


def _wrong_key(state: CallState, turn: _Turn) -> Step:
    return _missed(state, turn, _prompt(turn.lang, "voice_wrong_key"))


def _missed(state: CallState, turn: _Turn, sorry: Utterance) -> Step:
    """The miss ladder: sorry; sorry and how to reach a person; then "a person now?"."""
    state = replace(state, misses=state.misses + 1)
    if state.misses >= MISSES_BEFORE_ASKING and state.at is not Place.OFFER:
        step = _present(replace(state, at=Place.OFFER), turn, before=(sorry,))
        return replace(step, effects=(*step.effects, RecordEvent(EventKind.ASKED_TO_CONNECT)))
    offer = (_prompt(turn.lang, "voice_miss_offer"),) if state.misses == 2 else ()
    step = _present(state, turn, before=(sorry, *offer))
    if offer:
        return replace(step, effects=(*step.effects, RecordEvent(EventKind.OFFERED_PERSON)))
    return step


def _sorry_prompt(lang: LanguageContent, heard: CallInput) -> Utterance:
    """A short apology for words not understood, or for a key that does nothing here."""
    return _prompt(lang, "voice_not_understood" if heard.speech else "voice_wrong_key")


def _credit(lang: LanguageContent) -> Utterance:
    return Utterance("credit", lang.credit, lang.code)


def _prompt(lang: LanguageContent, prompt_id: str) -> Utterance:
    return Utterance(f"prompt.{prompt_id}", lang.prompts[prompt_id], lang.code)
