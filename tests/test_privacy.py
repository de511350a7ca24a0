"""No phone number reaches the database, the logs or the report; the logs are JSON lines with ids.

One scripted journey against the production server (calls through the voice menu, texts in both
languages, MORE, STOP, START, HELP, "text me this"), from numbers written in many formats; then
the database (SQLite's files, or every row of every table, the report's counts and words
included), the server's whole output, the /report page and `ivr report` in every format are
searched for any of those numbers, however it is written.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa

from ivr.content import load_content
from ivr.report.formats import FORMATS
from ivr.report.service import load_report, parse_period
from ivr.security import NumberHasher
from ivr.store import Store, create_engine
from ivr.twilio_forms import whatsapp_form

from .conftest import PUBLIC_URL, TOKEN, signed_post
from .production import LINE_NUMBER, LoopbackClient, call_form, gunicorn_line, sms_form
from .twilio_fakes import ACCOUNT_SID, Call, messages_api

CONTENT = load_content()
# The journey's numbers, as the webhooks carry them (Twilio sends E.164; the line takes any).
E164 = "+15553217788"
DIGITS = "15553217789"
BRACKETS = "(555) 321-7790"
DASHES = "555-321-7791"
MEXICO = "+525512347792"
UK = "+447700907793"
SPACES = "+1 555 321 7795"
FLOOD = "+15553217796"
NUMBERS = (E164, DIGITS, BRACKETS, DASHES, MEXICO, UK, SPACES, FLOOD)
RATE_LIMIT = 10  # texts a minute from one number; each journey below stays under it
WORKERS = 2  # each counts the rate limit in its own memory

# Anything a number can be written as: digits, maybe with spaces, dots, dashes, slashes or
# brackets between them. A run is compared on its digits alone.
DIGIT_RUN = re.compile(r"\d(?:[\s().\-/]*\d)*")
# Gunicorn's own lines, told apart from the app's JSON lines by these formats: its error log
# ("[2024-05-01 12:00:00 +0000] [123] [INFO] ...") and its access log (ivr/gunicorn_conf.py).
GUNICORN_ERROR_LOG = re.compile(r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}\] \[\d+\] \[[A-Z]+\] ")
GUNICORN_ACCESS_LOG = re.compile(r'\S+ - \S+ \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "')
OVER_LIMIT = "An SMS number is over its rate limit; no reply is sent."
REPORT_PASSWORD = "privacy-report-password"
# The report's tables: the scan below must find rows in each, or it proved nothing about them.
REPORT_TABLES = ("usage_counts", "unknown_words", "word_senders")
_MESSAGE_SIDS = itertools.count(1)


def test_no_number_in_database_or_logs(database_url: str, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    settings = {
        "IVR_TWILIO_AUTH_TOKEN": TOKEN,
        "IVR_PUBLIC_URL": PUBLIC_URL,
        "IVR_INSTANCE_DIR": str(tmp_path / "instance"),
        "IVR_DATABASE_URL": database_url,
        "IVR_HASH_SECRET": "privacy-test-secret",
        "IVR_SMS_RATE_LIMIT": f"{RATE_LIMIT}/minute",
        "IVR_AUDIO_DIR": str(tmp_path / "no-audio"),
        "IVR_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "IVR_TWILIO_FROM": LINE_NUMBER,
        "IVR_REPORT_PASSWORD": REPORT_PASSWORD,
    }
    with messages_api(TOKEN) as api:
        with gunicorn_line(settings | {"IVR_TWILIO_API_URL": api.url}, log) as server:
            client = LoopbackClient(server.url)
            _journey(client, api)
            page = _report_page(server.url)
            found = _numbers_in_database(database_url, tmp_path)  # SQLite's WAL is still there
        assert [message["To"] for message in api.sent] == [E164, MEXICO, E164]
    found |= _numbers_in_database(database_url, tmp_path)
    assert not found, f"phone numbers in the database: {sorted(found)}"
    _the_report_holds_no_number(database_url, page)

    output = log.read_text(encoding="utf-8")
    found = {
        f"{number} in line {i}: {line}"
        for i, line in enumerate(output.splitlines(), 1)
        for number in _numbers_in(line)
    }
    assert not found, "phone numbers in the logs:\n" + "\n".join(sorted(found))
    entries = _app_entries(output)
    assert entries, "the journey logged nothing of its own"
    # The line logs nothing at start-up, so every line of its own is about a webhook, and
    # carries that webhook's id (Twilio's idempotency token) and path.
    for entry in entries:
        assert entry.get("request_id") in client.request_ids, entry
        assert entry.get("path", "").startswith(("/sms", "/voice")), entry
    messages = [entry["message"] for entry in entries]
    assert OVER_LIMIT in messages and "text not sent: TwilioRestException" in messages


@pytest.mark.parametrize(
    ("written", "number"),
    [
        ("+15553217788", E164),
        ("15553217788", E164),
        ("5553217788", E164),
        ("(555) 321-7788", E164),
        ("555-321-7788", E164),
        ("555.321.7788", E164),
        ("+1 555 321 7788", E164),
        ("1-555-321-7788", E164),
        ("%2B15553217788", E164),  # URL-encoded, as in a query string
        ("%28555%29+321-7788", E164),
        ("+52 55 1234 7792", MEXICO),
        ("55 1234 7792", MEXICO),
        ("+44 7700 907793", UK),
        ("07700 907793", UK),
    ],
)
def test_the_search_finds_a_number_written_any_way(written: str, number: str) -> None:
    assert _numbers_in(f"text {written}, more text") == {number}


def test_the_search_passes_over_times_hashes_and_ids() -> None:
    lines = [
        '127.0.0.1 - - [25/Nov/2026:15:52:26 +0000] "POST /voice?lang=es HTTP/1.1" 200 889 "-"',
        "[2026-11-25 15:52:26 +0000] [20433] [INFO] Booting worker with pid: 20434",
        '{"time": "2026-11-25T15:52:26.408+00:00", "request_id": "5b0e6b574f1140a4bef24c3904"}',
        "4a0bf90fe93e6c3d8105a600653d33603d40999a62fc4477127e2b1e545020fb",
    ]
    assert _numbers_in("\n".join(lines)) == set()


def _journey(client: LoopbackClient, api) -> None:  # type: ignore[no-untyped-def]
    """Calls and texts from every number in NUMBERS, covering what the line does."""
    # Calls: choose English, hear the symptoms, text me this; hang up (the status callback).
    call = TwilioCall(client, E164).press("1").press("2").press("3")
    assert call.heard()[0] == CONTENT["en"].prompts["voice_text_sending"]
    _call_ends(client, call)
    # Call back: greeted in English, remembered; the first answer, then a person who is busy.
    call = TwilioCall(client, E164, sid=2)
    call.press("1").silence().press("0").dial_ends("busy")
    _call_ends(client, call)
    # Spanish by voice, an answer by voice; a caller ID that is not E.164 gets no texts.
    call = TwilioCall(client, BRACKETS).say("español").say("síntomas")
    assert call.press("3").heard()[0] == CONTENT["es"].prompts["voice_wrong_key"]
    _call_ends(client, call)
    # Spanish by key, a menu, an answer, text me this (refused by Twilio after the response,
    # then sent), slower, back to the main menu.
    call = TwilioCall(client, MEXICO).press("2").press("3").press("1")
    api.fail_with = 400
    tried = api.attempts
    assert call.press("3").heard()[0] == CONTENT["es"].prompts["voice_text_sending"]
    assert api.wait_for_attempts(tried + 1)
    api.fail_with = 0
    call.press("3")
    assert call.heard()[0] == CONTENT["es"].prompts["voice_text_sending"]
    call.press("2").press("#")
    _call_ends(client, call)
    # A caller who says nothing, then asks for a person.
    call = TwilioCall(client, UK).silence()
    call.say("English please").say("I want to talk to a person")
    _call_ends(client, call)

    # Texts: MORE continues the answer that was texted during the call.
    assert _text(client, E164, "MORE")
    _texts(client, E164, "more", "HELP", "SITES BREAST", "ESPANOL", "mas")
    assert not _text(client, E164, "STOP")
    assert not _text(client, E164, "MENU")  # opted out: nothing at all
    assert _text(client, E164, "START")
    # The messages Twilio answers itself still reach the line, and the line's own words.
    _texts(client, DIGITS, "SINTOMAS", "MAS", "AYUDA", "PARAR", "COMENZAR", "english")
    _texts(client, BRACKETS, "hola", f"please call me back at {BRACKETS}", "stop texting me")
    assert not _text(client, BRACKETS, "what are the symptoms?")
    _texts(client, BRACKETS, "YES", "What are the symptoms?")
    _texts(client, DASHES, "1", "MORE", "tratamento", "QUIT", "UNSTOP", "sites")
    _texts(client, MEXICO, "MAS", "SITIOS MAMA", "ALTO", "INICIAR", "INFO")
    _texts(client, UK, "treatment", "NEXT", "xyzzy plugh", "END", "START", "chemo")
    _texts(client, SPACES, "symptoms", "MORE", "UNSUBSCRIBE", "YES", f"my number is {SPACES}")
    # WhatsApp from a number that texted: an answer, SLOW, a voice note, a place; a sender
    # whose address is no number at all.
    assert _whatsapp(client, MEXICO, "5") and _whatsapp(client, MEXICO, "LENTO")
    assert _whatsapp(client, MEXICO, "", media=(("audio/ogg", "https://api.twilio.com/m"),))
    assert _whatsapp(client, MEXICO, "", location=("19.4326", "-99.1332"))
    assert not _whatsapp(client, BRACKETS, "SINTOMAS")
    # A texter who sends too much: each worker counts, so twice the limit and one more.
    for _ in range(WORKERS * RATE_LIMIT + 1):
        _text(client, FLOOD, "MENU")
    # Text me this again, from a number that opted in again and chose Spanish by text.
    call = TwilioCall(client, E164, sid=3).press("1").press("3")
    assert call.heard()[0] == CONTENT["es"].prompts["voice_text_sending"]


class TwilioCall(Call):
    """A call whose webhooks carry what Twilio sends: the caller's number in several fields."""

    def __init__(self, client: LoopbackClient, number: str, sid: int = 1) -> None:
        self.sid = f"CA{sid:02d}{''.join(ch for ch in number if ch.isdigit()):0>30}"
        super().__init__(client, number)  # type: ignore[arg-type]

    def _post(self, url: str, form: dict[str, str]) -> ElementTree.Element:
        return super()._post(url, self.form() | form)

    def form(self) -> dict[str, str]:
        return call_form(self.number, self.sid)


def _call_ends(client: LoopbackClient, call: TwilioCall) -> None:
    form = call.form() | {"CallStatus": "completed", "CallDuration": "95"}
    assert signed_post(client, "/voice/status", form).status_code == 204


def _text(client: LoopbackClient, number: str, body: str) -> bool:
    """Text the line; True when it answered with a message."""
    sid = f"SM{next(_MESSAGE_SIDS):032x}"
    response = signed_post(client, "/sms", sms_form(number, body, sid))
    assert response.status_code == 200, (number, body, response.status_code)
    return ElementTree.fromstring(response.get_data()).find("./Message") is not None


def _whatsapp(client: LoopbackClient, number: str, body: str, **extra: Any) -> bool:
    """A WhatsApp message to the line, as Twilio sends it; True when the line answered."""
    sid = f"SM{next(_MESSAGE_SIDS):032x}"
    form = whatsapp_form(number, body, sid, to=LINE_NUMBER, account_sid=ACCOUNT_SID, **extra)
    response = signed_post(client, "/sms", form)
    assert response.status_code == 200, (number, body, response.status_code)
    return ElementTree.fromstring(response.get_data()).find("./Message") is not None


def _texts(client: LoopbackClient, number: str, *bodies: str) -> None:
    for body in bodies:
        _text(client, number, body)


def _numbers_in(text: str) -> set[str]:
    """The journey's numbers found in text, written any common way (URL-encoded too)."""
    found = set()
    for candidate in {text, unquote_plus(text)}:
        for run in DIGIT_RUN.finditer(candidate):
            digits = "".join(ch for ch in run.group() if ch.isdigit())
            # The last ten digits: the number without its country code, or with it.
            found |= {n for n in NUMBERS if _digits(n)[-10:] in digits}
    return found


def _digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())


def _numbers_in_database(database_url: str, tmp_path: Path) -> set[str]:
    """Numbers in any row of any table, and for SQLite in the raw bytes of its files."""
    found = set()
    engine = create_engine(database_url)
    try:
        tables = sa.MetaData()
        tables.reflect(engine)
        with engine.connect() as connection:
            for table in tables.sorted_tables:
                for row in connection.execute(sa.select(table)):
                    found |= {f"{table.name}: {n}" for n in _numbers_in(" | ".join(map(str, row)))}
    finally:
        engine.dispose()
    if database_url.startswith("sqlite"):
        for path in _sqlite_files(database_url, tmp_path):
            text = path.read_bytes().decode("latin-1")
            found |= {f"{path.name}: {n}" for n in _numbers_in(text)}
    return found


def _sqlite_files(database_url: str, tmp_path: Path) -> Iterable[Path]:
    """The database with its -wal and -shm, and everything in the instance folder."""
    database = Path(sa.engine.make_url(database_url).database or "")
    yield from database.parent.glob(database.name + "*")
    yield from (p for p in (tmp_path / "instance").rglob("*") if p.is_file())


def _app_entries(output: str) -> list[dict[str, str]]:
    """The app's log entries; fails on a line that is neither JSON nor gunicorn's own."""
    entries = []
    for line in output.splitlines():
        if GUNICORN_ERROR_LOG.match(line) or GUNICORN_ACCESS_LOG.match(line):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            raise AssertionError(f"a log line neither JSON nor gunicorn's: {line!r}") from None
        assert {"time", "level", "logger", "message"} <= entry.keys(), line
        entries.append(entry)
    return entries


def _report_page(server_url: str) -> str:
    """/report as the organisation reads it, with its password."""
    token = base64.b64encode(f"report:{REPORT_PASSWORD}".encode()).decode()
    request = urllib.request.Request(
        server_url + "/report", headers={"Authorization": f"Basic {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.read().decode()


def _the_report_holds_no_number(database_url: str, page: str) -> None:
    """The report's tables hold rows, and neither they nor any output of the report a number."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            for table in REPORT_TABLES:
                rows = connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
                assert rows, f"{table} is empty: the journey did not reach it"
            words = connection.execute(sa.text("SELECT word FROM unknown_words")).scalars().all()
        assert not [word for word in words if any(ch.isdigit() for ch in word)], words
        store = Store(engine, NumberHasher(b"the report hashes nothing"))
        report = load_report(store, CONTENT, parse_period(None, None))
    finally:
        engine.dispose()
    outputs = {"page": page} | {name: form(report) for name, form in FORMATS.items()}
    found = {f"{name}: {n}" for name, text in outputs.items() for n in _numbers_in(text)}
    assert not found, f"phone numbers in the report: {sorted(found)}"
    assert "Where callers go" in page
