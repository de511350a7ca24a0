"""Walk the whole line through its signed webhooks and record every answer (tests/test_golden.py).

Only public behaviour is used: signed POSTs to /voice and /sms, and the URLs the TwiML itself
gives (a Gather's action, a Redirect, a Dial's action). Nothing here knows how the line is
built inside, so the same walk checks the line before and after its code is reorganised.

The walk reads the query of those URLs (lang, at, menu, topic, part, page, cancer, slow, quiet)
only to decide where to go next and what it must have reached (LOCATED_BY, SPOKEN_AT,
asks_for_text, coverage): the URLs are part of the TwiML, so of what must not change.
"""

from __future__ import annotations

import difflib
import gzip
import hashlib
import json
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit
from xml.dom import minidom
from xml.etree import ElementTree

from flask.testing import FlaskClient

from ivr.content import load_content

from .conftest import PUBLIC_URL, signature, signed_post

KEYS = tuple("0123456789*#")
# Words a caller may say: topics, cancer types and commands in both languages, the language
# switch, words the line does not know, and an empty result.
SPEECH = (
    "symptoms",
    "síntomas",
    "treatment",
    "tratamiento",
    "breast",
    "mama",
    "help",
    "ayuda",
    "english",
    "español",
    "repeat",
    "go back",
    "main menu",
    "next",
    "slower",
    "text me",
    "mensaje de texto",
    "whole table",
    "more types",
    "goodbye",
    "banana pancakes",
    "",
)
# What is said means the same with recordings or with texting, so where those are what
# changes, a few words are enough: a topic, a type of cancer, a person, words not understood.
FEW_SPEECH = ("síntomas", "mama", "help", "banana pancakes", "")
# The speech of SPEECH that asks for "text me this" while an answer plays.
TEXT_SPEECH = ("text me", "mensaje de texto")
KEY_TEXT = "3"
DIAL_STATUSES = ("completed", "busy", "no-answer", "failed", "canceled")
CALL_SID = "CA" + "0" * 32
LINE_NUMBER = "+15550001111"
# Places of a call where key 3 (or "text me") sends a text: the answer, or after a failed
# transfer the Cancer Information Service's number.
ANSWER_PLACES = frozenset({"answer", "answer-end", "no-answer"})
# Beside the language and the place (at=...), the query parameters that tell one place from
# another of its kind. The others carry the call's history: silences in a row, the speed, the
# keys said, texts sent, and the page or type of cancer heard last, away from those lists.
LOCATED_BY = {
    "menu": ("menu",),
    "answer": ("topic", "part"),
    "answer-end": ("topic",),
    "cancers": ("page",),
    "sites": ("cancer",),
}
# Words mean the same wherever a kind of place is (any answer, any page of the list of cancer
# types, any type's sites): keys, which mean something else at each, are tried at every place,
# speech at the first place of each kind a walk reaches, in each language (and each menu).
SPOKEN_AT = {"menu": ("menu",)}
# A text is the answer's summary, whichever part is playing: "text me this" is tried at the
# first part of each answer the walk reaches, and when it has ended.
TEXTED_AT = {"answer": ("topic",), "answer-end": ("topic",)}
FOLLOWED = frozenset({"Gather", "Redirect", "Dial"})
# Done again where it led, even to a place already walked: silence, and the speed key (2).
AGAIN = frozenset({"redirect", "digits=2"})


@dataclass(frozen=True)
class Request:
    """One webhook request: where it goes, what the form adds, and a readable label."""

    url: str  # path and query, as the TwiML gives it
    form: tuple[tuple[str, str], ...]
    label: str
    number: str = ""  # the caller; "" for one of its own, made from the key

    @property
    def key(self) -> str:
        """The request as a readable, unique key: "<url> | <what the caller did>"."""
        return f"{self.url} | {self.label}"

    def caller(self) -> str:
        """The From number: its own, or one made from the key, so no two requests share one."""
        return self.number or number_for(self.key)


def number_for(name: str) -> str:
    """A phone number of its own for name, the same on every run."""
    digits = int(hashlib.sha256(name.encode()).hexdigest(), 16) % 10**10
    return f"+1555{digits:010d}"


@dataclass
class Recording:
    """What a walk heard: each request's key with the TwiML of the response."""

    main: dict[str, str] = field(default_factory=dict)
    texting: dict[str, str] = field(default_factory=dict)  # "text me this" and what follows it
    texted: dict[str, str] = field(default_factory=dict)  # texting key -> the text it sent


def gathered(url: str, speech: Iterable[str]) -> list[Request]:
    """Every input tried at a Gather whose action is url."""
    keys = [Request(url, (("Digits", key),), f"digits={key}") for key in KEYS]
    said = [
        Request(url, (("SpeechResult", words), ("Confidence", "0.9")), f"speech={words!r}")
        for words in speech
    ]
    return keys + said


def followed(root: ElementTree.Element, speech: Iterable[str]) -> list[Request]:
    """The requests Twilio could make next after the TwiML root."""
    out: list[Request] = []
    for gather in root.findall("./Gather[@action]"):
        out += gathered(gather.get("action", ""), speech)
    out += [
        Request((node.text or "").strip(), (), "redirect") for node in root.findall("./Redirect")
    ]
    for dial in root.findall("./Dial[@action]"):
        out += [
            Request(dial.get("action", ""), (("DialCallStatus", status),), f"dial={status}")
            for status in DIAL_STATUSES
        ]
    return out


def place(
    root: ElementTree.Element, located_by: Mapping[str, tuple[str, ...]] = LOCATED_BY
) -> tuple[str, ...]:
    """Where the call stands after the TwiML root: its verbs, and the place its URL names."""
    verbs = [child.tag for child in root]
    urls = [child.get("action") or child.text or "" for child in root if child.tag in FOLLOWED]
    if not urls:
        return tuple(verbs)
    query = dict(parse_qsl(urlsplit(urls[0]).query))
    at = query.get("at", "")
    # A transfer ends alike from anywhere in a language's menus: one of each place kind will do.
    located = () if "Dial" in verbs else located_by.get(at, ())
    return (*verbs, *(f"{name}={query.get(name, '')}" for name in ("lang", "at", *located)))


def asks_for_text(request: Request) -> bool:
    """Whether request is key 3 or "text me", from a real number, where that sends a text."""
    at = dict(parse_qsl(urlsplit(request.url).query)).get("at", "")
    form = dict(request.form)
    asks = form.get("Digits") == KEY_TEXT or form.get("SpeechResult") in TEXT_SPEECH
    return asks and at in ANSWER_PLACES and request.caller().startswith("+")


def post_voice(client: FlaskClient, request: Request, flush: bool = True) -> str:
    """POST request to /voice, signed as Twilio signs it, and return the TwiML of the answer.

    Without flush, the line's queued bookkeeping is left to its writer thread: that halves the
    time of a request, and no request of the walk reads what another wrote (each has a caller
    of its own), so only the requests whose effects are read wait for the writes.
    """
    data = {"CallSid": CALL_SID, "From": request.caller(), "To": LINE_NUMBER} | dict(request.form)
    if flush:
        response = signed_post(client, request.url, data)
    else:
        headers = {"X-Twilio-Signature": signature(PUBLIC_URL + request.url, data)}
        response = client.post(request.url, data=data, headers=headers)
        response.get_data()
        response.close()
    assert response.status_code == 200, (request.key, response.status_code)
    assert response.mimetype == "text/xml", (request.key, response.mimetype)
    return response.get_data(as_text=True)


def walk_voice(
    client: FlaskClient,
    starts: Iterable[Request],
    speech: Iterable[str] = SPEECH,
    sent: Callable[[], list[dict[str, str]]] | None = None,
    texts: bool = True,
) -> Recording:
    """Breadth first from starts: every input at each new place, and silence from every place.

    A response that reaches a place for the first time has every key and silence tried at it,
    and the speech too where it is the first of its kind (SPOKEN_AT). One that reaches a place
    already walked is followed only by what led to it done again (AGAIN): so the silences in a
    row are heard from every place, and the way back from slow speed at every part of every
    answer.

    With sent (the texts the line has sent so far), "text me this" goes into the texting
    section, and is not followed further (tests/test_golden.py asks for texts in a row by
    hand). It is asked for at each answer (TEXTED_AT) with texts, and left out without; a
    text sent by any other request fails the walk.
    """
    speech = tuple(speech)
    recording = Recording()
    queue = deque(starts)
    seen = {request.key for request in queue}
    places: set[tuple[str, ...]] = set()
    spoken: set[tuple[str, ...]] = set()
    texted: set[tuple[str, ...]] = set()
    while queue:
        request = queue.popleft()
        texting = sent is not None and asks_for_text(request)
        before = len(sent()) if sent else 0
        body = post_voice(client, request, flush=texting)
        sent_now = sent()[before:] if sent else []
        if texting:
            recording.texting[request.key] = body
            if sent_now:
                recording.texted[request.key] = sent_now[-1].get("Body", "")
            continue
        assert not sent_now, f"{request.key}: a text sent outside the texting section"
        recording.main[request.key] = body
        root = ElementTree.fromstring(body)
        where = place(root)
        new = where not in places
        places.add(where)
        if not (new or request.label in AGAIN):
            continue
        kind, answer = place(root, SPOKEN_AT), place(root, TEXTED_AT)
        words = speech if kind not in spoken else ()
        text_here = texts and answer not in texted
        spoken.add(kind)
        texted.add(answer)
        for following in followed(root, words):
            again = following.label == request.label
            if sent is not None and asks_for_text(following) and not text_here:
                continue
            if (new or again) and following.key not in seen:
                seen.add(following.key)
                queue.append(following)
    client.application.extensions["ivr"].bookkeeping.flush()  # as signed_post leaves it
    return recording


def coverage(keys: Iterable[str]) -> dict[str, set[str]]:
    """What the walked requests reached, by kind: menus, parts, pages, sites, silences, ..."""
    reached: dict[str, set[str]] = {}
    for key in keys:
        url, label = key.split(" | ", 1)
        query = dict(parse_qsl(urlsplit(url).query))
        lang, at = query.get("lang", ""), query.get("at", "welcome")
        seen = {
            "welcome": label.startswith("welcome") and label,
            "menu": at == "menu" and f"{lang} {query.get('menu', 'main')}",
            "answer": at == "answer" and f"{lang} {query.get('topic')}",
            "part": at == "answer" and f"{lang} {query.get('topic')} {query.get('part', '1')}",
            "slow part": at == "answer"
            and query.get("slow") == "1"
            and f"{lang} {query.get('topic')} {query.get('part', '1')}",
            "normal speed again": at == "answer"
            and query.get("slow") == "1"
            and label == "digits=2"
            and f"{lang} {query.get('topic')} {query.get('part', '1')}",
            "answer-end": at == "answer-end" and f"{lang} {query.get('topic')}",
            "cancers page": at == "cancers" and f"{lang} {query.get('page', '1')}",
            "sites": at == "sites" and f"{lang} {query.get('cancer', 'table')}",
            "silence": label == "redirect" and f"{lang or 'welcome'} {query.get('quiet', '0')}",
            "transfer": label.startswith("dial=") and f"{lang or 'welcome'} {label}",
        }
        for kind, value in seen.items():
            if value:
                reached.setdefault(kind, set()).add("" if value is True else str(value))
    return reached


def expected_coverage(welcomes: Iterable[str] = ()) -> dict[str, set[str]]:
    """Everything a full walk must reach, from the content: every part of every answer, ..."""
    content = load_content()
    expected: dict[str, set[str]] = {"welcome": set(welcomes)}
    for code, language in content.languages.items():
        parts = {
            f"{code} {topic.id} {part}"
            for topic in language.topics
            for part in range(1, len(topic.parts) + 1)
        }
        places = {
            "menu": {f"{code} {menu}" for menu in ("main", "treatment", "spread", "other")},
            "answer": {f"{code} {topic.id}" for topic in language.topics},
            "part": parts,
            "slow part": parts,
            "normal speed again": parts,
            # After where-spread the list of cancer types follows instead.
            "answer-end": {f"{code} {t.id}" for t in language.topics if t.id != "where-spread"},
            "cancers page": {f"{code} {page}" for page in (1, 2, 3)},
            "sites": {f"{code} {cancer.id}" for cancer in language.cancers} | {f"{code} table"},
            "silence": {f"{code} {quiet}" for quiet in (0, 1, 2)},
            "transfer": {f"{code} dial={status}" for status in DIAL_STATUSES},
        }
        for kind, values in places.items():
            expected.setdefault(kind, set()).update(values)
    expected["silence"] |= {f"welcome {quiet}" for quiet in (0, 1, 2)}
    expected["transfer"] |= {f"welcome dial={status}" for status in DIAL_STATUSES}
    return expected


def missing_coverage(keys: Iterable[str], welcomes: Iterable[str]) -> dict[str, list[str]]:
    """What a full walk from welcomes (their labels) must reach and keys did not, by kind."""
    reached = coverage(keys)
    missing = {
        kind: sorted(values - reached.get(kind, set()))
        for kind, values in expected_coverage(welcomes).items()
    }
    return {kind: values for kind, values in missing.items() if values}


# -- SMS -----------------------------------------------------------------------------------

# In a conversation: Twilio sends the previous message again, with the same MessageSid.
RETRY = "<Twilio retries the last message>"


def sms_conversations() -> list[tuple[str, ...]]:
    """Every word the content knows texted alone, then commands, typos and conversations."""
    content = load_content()
    words: list[str] = []
    for language in content.languages.values():
        for topic in language.topics:
            words += topic.keywords
        for cancer in language.cancers:
            words += [*cancer.synonyms, cancer.name]
        for command_words in language.commands.values():
            words += command_words
    words += [str(number) for number in range(11)]
    words += [
        "STOP", "stop", "Stop please", "please stop texting me", "STOPALL", "UNSUBSCRIBE",
        "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "opt out", "PARAR", "alto", "CANCELAR",
        "detener", "no mas", "no more", "stopp", "unsubscibe",
        "START", "YES", "UNSTOP", "SI", "COMENZAR", "iniciar",
        "HELP", "AYUDA", "INFO", "MORE", "MAS", "MÁS", "MENU", "MENÚ",
        "SITES", "SITIOS", "SITES BREAST", "SITIOS MAMA", "breast sites",
        "where does lung cancer spread", "ESPANOL", "ESPAÑOL", "ENGLISH", "INGLES",
        "symtoms", "brest", "tratamento", "sintomas", "metastatis", "colon cancr", "color",
        "cancer", "How is metastatic cancer treated?", "¿Qué es el cáncer metastásico?",
        "banana pancakes", "asdfgh", "¿qué?", "hello there", "", "   ", "🙂", "❤️🎗️", "...",
        "symptoms " * 60,
    ]  # fmt: skip
    singles = [(word,) for word in dict.fromkeys(words)]
    conversations = [
        ("symptoms", "MORE", "MORE", "MORE", "MORE"),
        ("how spread", *["more"] * 9),
        ("sintomas", "MAS", "MAS", "MAS"),
        ("4", "MORE", RETRY, "MORE"),
        ("ESPANOL", "5"),
        ("ESPANOL", "1", "MAS"),
        ("ESPANOL", "MENU", "ENGLISH", "5"),
        ("symptoms", "MORE", "ESPANOL", "MAS"),
        ("SITES", "SITES BREAST", "SITIOS", "3"),
        ("tratamiento", "ENGLISH", "MORE"),
        ("síntomas", "1", "MORE"),
        ("STOP", "symptoms", "HELP", "START", "symptoms"),
        ("PARAR", "sintomas", "COMENZAR", "sintomas"),
        ("please stop", "MENU", "YES", "MENU"),
        ("YES", "symptoms"),
        # The limit on replies to one number: 10 a minute.
        ("MENU", *["symptoms"] * 11),
    ]
    return singles + conversations


def readable(body: str) -> str:
    """A message body as a short, readable part of a key."""
    if body == RETRY:
        return "(retry)"
    return repr(body) if len(body) <= 60 else f"{body[:30]!r}... ({len(body)} characters)"


def walk_sms(client: FlaskClient, conversations: Iterable[tuple[str, ...]]) -> dict[str, list[str]]:
    """Text each conversation from a number of its own: its key -> the TwiML of each reply."""
    recorded: dict[str, list[str]] = {}
    for conversation in conversations:
        name = " > ".join(readable(body) for body in conversation)
        number = number_for(name)
        replies = []
        body = sid = ""
        for index, text in enumerate(conversation):
            if text != RETRY:
                body = text
                sid = "SM" + hashlib.sha256(f"{name} {index}".encode()).hexdigest()[:32]
            data = {"From": number, "To": LINE_NUMBER, "Body": body, "MessageSid": sid}
            response = signed_post(client, "/sms", data)
            assert response.status_code == 200, (name, index, response.status_code)
            replies.append(response.get_data(as_text=True))
        recorded[name] = replies
    return recorded


# -- golden files ----------------------------------------------------------------------------

BODIES = "bodies.json.gz"


def digest(body: str) -> str:
    """A short, stable name for a response body."""
    return hashlib.sha256(body.encode()).hexdigest()[:12]


def nested(flat: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """{"<url> | <label>": hash} as {url: {label: hash}}: each URL written once."""
    out: dict[str, dict[str, str]] = {}
    for key, value in flat.items():
        url, label = key.split(" | ", 1)
        out.setdefault(url, {})[label] = value
    return out


def flat(tree: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """The inverse of nested."""
    return {
        f"{url} | {label}": value for url, labels in tree.items() for label, value in labels.items()
    }


def write_json(path: Path, data: object) -> None:
    """JSON with one entry a line and sorted keys, so that git diff shows what changed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n", "utf-8")


def read_json(path: Path) -> dict:  # type: ignore[type-arg]
    """A golden file, or {} if there is none yet."""
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


def read_bodies(folder: Path) -> dict[str, str]:
    """Every recorded response body, by digest."""
    path = folder / BODIES
    return json.loads(gzip.decompress(path.read_bytes())) if path.exists() else {}


def save_bodies(folder: Path, bodies: Mapping[str, str]) -> None:
    """Add bodies to the shared table, then drop those no golden file names any more."""
    table = read_bodies(folder) | dict(bodies)
    named: set[str] = set()
    for path in folder.glob("*.json"):
        named |= _strings(read_json(path))
    kept = {name: body for name, body in sorted(table.items()) if name in named}
    data = json.dumps(kept, ensure_ascii=False, indent=0, sort_keys=True).encode()
    (folder / BODIES).write_bytes(gzip.compress(data, compresslevel=9, mtime=0))


def _strings(data: object) -> set[str]:
    """Every string value in nested dictionaries and lists."""
    if isinstance(data, str):
        return {data}
    values = data.values() if isinstance(data, dict) else data if isinstance(data, list) else ()
    return set().union(*(_strings(value) for value in values))


def pretty(body: str) -> str:
    """TwiML indented one element a line, for a readable diff."""
    try:
        return minidom.parseString(body.encode()).toprettyxml(indent="  ")
    except Exception:  # not XML: shown as it is
        return body


def differences(expected: Mapping[str, str], actual: Mapping[str, str], shown: int = 5) -> str:
    """What changed between two {key: body} mappings, in words and diffs; "" when nothing."""
    missing = [key for key in expected if key not in actual]
    extra = [key for key in actual if key not in expected]
    changed = [key for key in expected if key in actual and expected[key] != actual[key]]
    if not (missing or extra or changed):
        return ""
    lines = [
        f"{len(changed)} requests answer differently, {len(missing)} were not made "
        f"and {len(extra)} are new (of {len(expected)} recorded)."
    ]
    for key in changed[:shown]:
        lines.append(f"\n--- {key}")
        before, after = pretty(expected[key]), pretty(actual[key])
        if before == after:  # a difference indenting hides: one element a line, as it is
            before, after = expected[key].replace("><", ">\n<"), actual[key].replace("><", ">\n<")
        diff = difflib.unified_diff(
            before.splitlines(), after.splitlines(), "recorded", "now", lineterm=""
        )
        lines += list(diff)
    for title, keys in (("Not made", missing), ("New", extra)):
        if keys:
            lines.append(
                f"\n{title}: " + "; ".join(keys[:shown]) + ("; ..." if keys[shown:] else "")
            )
    return "\n".join(lines)
