"""The traffic scripts/load replays: signed Twilio webhooks for calls and texts, in a real mix.

Calls follow the line's own state machine (ivr.voice.flow), so every URL is one the line
itself would hand Twilio: new calls, the language choice, menu keys, answer parts played on
silence, speech at menus, cancer sites, transfers and the status callback at the end. Texts
are short conversations in both languages: keywords, numbers, questions, typos, MORE, sites,
the odd opt-out, and now and then a webhook Twilio retries with the same MessageSid. Every
caller and texter has a number of their own and every message a MessageSid of its own.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from ivr.content import Content, load_content
from ivr.twilio_forms import call_form, sms_form
from ivr.voice.codec import to_query
from ivr.voice.flow import next_step
from ivr.voice.menus import MENUS
from ivr.voice.protocol import CallInput, CallState, DialStatus, RememberLanguage, Step
from ivr.voice.speech import vocabularies

ACCOUNT_SID = "AC" + "5" * 32
LINE_NUMBER = "+18005550199"
# Share of sessions that are calls; a call makes several webhooks, a text conversation fewer.
CALL_SHARE = 0.45
MAX_CALL_STEPS = 30
# A few texters' webhooks come twice, as Twilio retries one that did not answer in time.
RETRY_SHARE = 0.01
# Sessions in progress at once in each wrk thread's list: a caller's next webhook comes only
# after this many others, as it would while the caller listens, so no two are ever in flight.
SESSIONS_AT_ONCE = 96

# What a caller does next, by where the call is: (weight, action). An action is a key, a
# phrase ("say:..."), "silence" (the Gather times out) or "hangup".
_AT_WELCOME = [(55, "1"), (30, "2"), (4, "say:English"), (3, "say:español"), (5, "silence")]
_AT_WELCOME += [(2, "7"), (1, "0")]
_IN_ANSWER = [(72, "silence"), (8, "1"), (4, "2"), (4, "9"), (3, "*"), (3, "#"), (2, "4")]
_IN_ANSWER += [(4, "hangup")]
_AT_ANSWER_END = [(35, "#"), (10, "9"), (10, "*"), (15, "4"), (10, "silence"), (10, "say:")]
_AT_ANSWER_END += [(10, "hangup")]
_AT_MENU = [(60, "choice"), (15, "say:"), (8, "silence"), (3, "0"), (4, "*"), (3, "8")]
_AT_MENU += [(3, "7"), (4, "hangup")]
_AT_CANCERS = [(55, "choice"), (15, "5"), (10, "say:"), (5, "silence"), (5, "*"), (10, "hangup")]
_AT_SITES = [(35, "1"), (15, "2"), (20, "#"), (10, "say:"), (20, "hangup")]
_CALLER_CHOICES = {
    "menu": _AT_MENU,
    "answer-end": _AT_ANSWER_END,
    "cancers": _AT_CANCERS,
    "sites": _AT_SITES,
}
# Phrases callers say, as Twilio's speech recognition writes them down.
_SPEECH = {
    "en": [
        "what are the symptoms",
        "symptoms",
        "treatment",
        "clinical trials",
        "where does cancer spread",
        "breast cancer",
        "lung",
        "prostate cancer",
        "repeat that",
        "go back",
        "main menu",
        "um I'm not sure",
        "help",
    ],
    "es": [
        "cuáles son los síntomas",
        "síntomas",
        "tratamiento",
        "ensayos clínicos",
        "dónde se disemina el cáncer",
        "cáncer de mama",
        "pulmón",
        "repetir",
        "menú principal",
        "no sé",
        "ayuda",
    ],
}
# What texters send first, and what they send after the reply.
_FIRST_TEXT = {
    "en": [
        "SYMPTOMS",
        "symptoms",
        "3",
        "5",
        "what is metastatic cancer?",
        "Treatment",
        "chemo",
        "clinical trials",
        "SITES BREAST",
        "lung",
        "symtoms",
        "tretment options",
        "HELLO",
        "MENU",
        "INFO",
        "where does it spread",
        "HELP",
        "\U0001f600",
        "hi can you help me",
        "ESPANOL",
    ],
    "es": [
        "SINTOMAS",
        "síntomas",
        "¿Qué es el cáncer metastásico?",
        "tratamiento",
        "tratamento",
        "SITIOS MAMA",
        "pulmon",
        "HOLA",
        "MENU",
        "AYUDA",
        "ensayos clinicos",
        "4",
        "ENGLISH",
    ],
}
_NEXT_TEXT = {
    "en": ["MORE"] * 6 + ["more", "next", "2", "SITES", "colon", "MENU", "thanks"],
    "es": ["MAS"] * 6 + ["más", "SIGUIENTE", "SITIOS", "prostata", "MENU", "gracias"],
}
_OPT_OUT = {"en": ("STOP", "START"), "es": ("PARAR", "SI")}
_OPT_OUT_SHARE = 0.02


@dataclass(frozen=True)
class Webhook:
    """One request as Twilio sends it: path with query, form fields, and what it is."""

    path: str
    params: Mapping[str, str]
    kind: str  # "call" (a step of a call), "status" (the call ended) or "text"


@dataclass(frozen=True)
class Mix:
    """How many of each the traffic holds, to print beside the figures."""

    calls: int
    call_steps: int
    statuses: int
    texters: int
    texts: int
    retries: int

    def describe(self) -> str:
        """One line: calls, their steps and status callbacks, texts and retries."""
        return (
            f"{self.calls:,} calls ({self.call_steps:,} call steps, {self.statuses:,} status "
            f"callbacks), {self.texts:,} texts from {self.texters:,} texters "
            f"({self.retries:,} of them Twilio retries)"
        )


class Traffic:
    """Makes calls and text conversations; seed and area code keep two runs apart."""

    def __init__(self, seed: int, area_code: str, content: Content | None = None) -> None:
        self._rng = random.Random(seed)
        self._area = area_code
        self._content = content or load_content()
        self._vocab = vocabularies(self._content)
        self._remembered: dict[str, str] = {}  # what the line will remember for each caller
        self._callers = [self._number(n) for n in range(600)]
        self._texters = [self._number(n) for n in range(600, 1200)]

    def sessions(self, requests: int) -> list[list[Webhook]]:
        """Calls and text conversations until they hold at least `requests` webhooks."""
        sessions: list[list[Webhook]] = []
        total = 0
        while total < requests:
            if self._rng.random() < CALL_SHARE:
                session = self._call(self._rng.choice(self._callers))
            else:
                session = self._texts(self._rng.choice(self._texters))
            sessions.append(session)
            total += len(session)
        return sessions

    def _number(self, n: int) -> str:
        return f"+1{self._area}555{n:04d}"

    def _sid(self, prefix: str) -> str:
        return prefix + f"{self._rng.getrandbits(128):032x}"

    # -- calls ----------------------------------------------------------------------------

    def _call(self, number: str) -> list[Webhook]:
        """One call from ring to status callback, following the line's own state machine."""
        call = call_form(number, self._sid("CA"), to=LINE_NUMBER, account_sid=ACCOUNT_SID)
        webhooks = [Webhook("/voice", call | {"CallStatus": "ringing"}, "call")]
        state = CallState()
        heard = CallInput(remembered=self._remembered.get(number, ""))
        for _ in range(MAX_CALL_STEPS):
            step = next_step(state, heard, self._content, self._vocab)
            for effect in step.effects:
                if isinstance(effect, RememberLanguage):
                    self._remembered[number] = effect.lang
            if step.then == "hangup":
                break
            query = to_query(step.state)
            if step.then == "dial":
                result = self._rng.choice(["completed", "completed", "no-answer", "busy"])
                form = {"DialCallStatus": result}
                heard = CallInput(dial=DialStatus(result))
                webhooks.append(Webhook(_voice_url(query | {"dial": "1"}), call | form, "call"))
                if result == "completed":
                    break
            else:
                action = self._caller_action(step)
                if action == "hangup":
                    break
                path, form, heard = _caller_request(query, action)
                webhooks.append(Webhook(path, call | form, "call"))
            state = step.state
        ended = {"CallStatus": "completed", "CallDuration": str(self._rng.randint(15, 900))}
        webhooks.append(Webhook("/voice/status", call | ended, "status"))
        return webhooks

    def _caller_action(self, step: Step) -> str:
        """What the caller does at this step: a key, a phrase, silence, or hang up."""
        lang = step.state.lang
        if not lang:
            return self._pick(_AT_WELCOME)
        if step.then == "play":
            return self._pick(_IN_ANSWER)
        action = self._pick(_CALLER_CHOICES[step.state.at])
        if action == "choice":
            count = len(MENUS[step.state.menu].choices) if step.state.at == "menu" else 4
            return str(self._rng.randint(1, count))
        if action == "say:":
            return "say:" + self._rng.choice(_SPEECH[lang])
        return action

    def _pick(self, choices: Sequence[tuple[int, str]]) -> str:
        weights, actions = zip(*choices, strict=True)
        return self._rng.choices(actions, weights)[0]

    # -- texts ----------------------------------------------------------------------------

    def _texts(self, number: str) -> list[Webhook]:
        """A short conversation: a first message, then MORE and the like, in one language."""
        lang = "es" if self._rng.random() < 0.4 else "en"
        bodies = [self._rng.choice(_FIRST_TEXT[lang])]
        bodies += [self._rng.choice(_NEXT_TEXT[lang]) for _ in range(self._rng.randint(1, 4))]
        if self._rng.random() < _OPT_OUT_SHARE:
            bodies += list(_OPT_OUT[lang])
        webhooks = []
        for body in bodies:
            form = sms_form(number, body, self._sid("SM"), to=LINE_NUMBER, account_sid=ACCOUNT_SID)
            text = Webhook("/sms", form, "text")
            webhooks.append(text)
            if self._rng.random() < RETRY_SHARE:
                webhooks.append(text)
        return webhooks


def _voice_url(query: Mapping[str, str]) -> str:
    """The action URL the line renders for a state (as ivr.voice.render builds it)."""
    return "/voice" + (f"?{urlencode(query)}" if query else "")


def _caller_request(query: Mapping[str, str], action: str) -> tuple[str, dict[str, str], CallInput]:
    """Path, form and flow input for a key, a phrase or silence at a Gather."""
    if action == "silence":
        return _voice_url(dict(query) | {"timeout": "1"}), {}, CallInput(timeout=True)
    if action.startswith("say:"):
        words = action.removeprefix("say:")
        form = {"SpeechResult": words, "Confidence": "0.87"}
        return _voice_url(query), form, CallInput(speech=words)
    form = {"Digits": action, "FinishedOnKey": "", "msg": "Gather End"}
    return _voice_url(query), form, CallInput(digits=action)


def interleave(sessions: Sequence[list[Webhook]], at_once: int = SESSIONS_AT_ONCE) -> list[Webhook]:
    """Sessions merged into one stream, `at_once` of them in progress, each in its own order."""
    waiting = deque(sessions)
    active: list[deque[Webhook]] = []
    stream: list[Webhook] = []
    while waiting or active:
        while waiting and len(active) < at_once:
            active.append(deque(waiting.popleft()))
        for session in active:
            stream.append(session.popleft())
        active = [session for session in active if session]
    return stream


def count(webhooks: Sequence[Webhook]) -> Mix:
    """Tally calls, call steps, status callbacks, texters, texts and retries."""
    texts = [w for w in webhooks if w.kind == "text"]
    sids = [w.params["MessageSid"] for w in texts]
    return Mix(
        calls=len({w.params["CallSid"] for w in webhooks if w.kind != "text"}),
        call_steps=sum(w.kind == "call" for w in webhooks),
        statuses=sum(w.kind == "status" for w in webhooks),
        texters=len({w.params["From"] for w in texts}),
        texts=len(texts),
        retries=len(sids) - len(set(sids)),
    )


def write_requests(
    path: Path, webhooks: Sequence[Webhook], token: str, public_url: str, bare_path: str = ""
) -> None:
    """Write one request a line for scripts/load.lua: path, signature, id token and body.

    Form bodies are URL-encoded, so no field holds a tab or a newline. With bare_path, each
    request goes to that path instead (keeping its query and body), for the bare endpoint.
    """
    validator = RequestValidator(token)
    lines = []
    for number, webhook in enumerate(webhooks):
        signature = validator.compute_signature(public_url + webhook.path, dict(webhook.params))
        target = webhook.path
        if bare_path:
            query = webhook.path.partition("?")[2]
            target = bare_path + (f"?{query}" if query else "")
        sid = webhook.params.get("CallSid") or webhook.params["MessageSid"]
        idempotency = f"{number:08d}-{sid}"
        lines.append(f"{target}\t{signature}\t{idempotency}\t{urlencode(webhook.params)}\n")
    path.write_text("".join(lines), encoding="ascii")
