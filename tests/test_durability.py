"""An acknowledged opt-out survives SIGKILL of the whole server, on SQLite and PostgreSQL.

Opt-outs are sent over HTTP to the production server from many numbers at once; the server is
killed (master and workers) while requests are in flight, and started again, a few times. Every
opt-out that got a 200 must then be in the database, and nothing may be sent to its number.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from ivr.content import load_content
from ivr.security import NumberHasher
from ivr.sms.keywords import OPT_OUT_WORDS
from ivr.store import Store, create_engine

from .conftest import PUBLIC_URL, TOKEN, signed_post
from .production import LoopbackClient, gunicorn_line, sms_form
from .twilio_fakes import ACCOUNT_SID, Call, messages_api

HASH_SECRET = "durability-test-secret"
# Every opt-out word the line knows, as people type them, and two the way people write them.
BODIES = [word.upper() for word in OPT_OUT_WORDS] + ["Stop texting me", "parar por favor"]
# Messages that would each get a reply from a number that has not opted out.
FOLLOW_UPS = ["MENU", "SYMPTOMS", "MORE", "1", "HOLA", "SITES BREAST", "HELP", "AYUDA"]
SENDERS = 8
# The server is killed once a round has this many acknowledgements (a different moment in
# each round) and while at least MIN_IN_FLIGHT requests are waiting for their answer.
KILL_AFTER = (30, 90, 55)
MIN_IN_FLIGHT = SENDERS // 2
NUMBERS = 2_000  # more than the rounds can use: the senders never run out
ROUND_SECONDS = 30  # a bound on each round, should the server stop answering
CALLS_TO_TRY = 4  # acknowledged numbers that then call and ask for "text me this"


@dataclass
class Ledger:
    """What became of every opt-out sent, kept by the sender threads."""

    outcomes: dict[str, str] = field(default_factory=dict)  # number: status, or what cut it
    in_flight: int = 0
    round_acks: int = 0
    changed: threading.Condition = field(default_factory=threading.Condition)

    def sending(self) -> None:
        with self.changed:
            self.in_flight += 1

    def answered(self, number: str, outcome: str) -> None:
        with self.changed:
            self.in_flight -= 1
            self.outcomes[number] = outcome
            self.round_acks += outcome == "200"
            self.changed.notify_all()

    def numbers(self, acknowledged: bool) -> list[str]:
        return [n for n, outcome in self.outcomes.items() if (outcome == "200") == acknowledged]


@dataclass
class Round:
    """One start, burst of opt-outs and SIGKILL, as the senders saw it."""

    acknowledged: int
    in_flight_at_kill: int
    cut: int  # requests whose connection the kill cut (no status at all)
    refused: dict[str, int]  # requests answered with another status: status -> how many


def test_acknowledged_opt_outs_survive_sigkill(database_url: str, tmp_path: Path) -> None:
    settings = {
        "IVR_TWILIO_AUTH_TOKEN": TOKEN,
        "IVR_PUBLIC_URL": PUBLIC_URL,
        "IVR_INSTANCE_DIR": str(tmp_path / "instance"),
        "IVR_DATABASE_URL": database_url,
        "IVR_HASH_SECRET": HASH_SECRET,
        "IVR_SMS_RATE_LIMIT": "10000/minute",
        "IVR_SMS_PAGING_LIMIT": "10000/minute",
        "IVR_AUDIO_DIR": str(tmp_path / "no-audio"),
    }
    log = tmp_path / "gunicorn.log"
    ledger = Ledger()
    numbers = iter(f"+1555{n:07d}" for n in range(7_000_000, 7_000_000 + NUMBERS))
    rounds = [
        _send_then_kill(settings, log, ledger, numbers, kill_after, index)
        for index, kill_after in enumerate(KILL_AFTER)
    ]
    acknowledged, unacknowledged = ledger.numbers(True), ledger.numbers(False)
    assert all(r.acknowledged > 0 for r in rounds), rounds
    assert sum(r.cut for r in rounds) > 0, f"no kill caught a request in flight: {rounds}"

    engine = create_engine(database_url)
    try:
        store = Store(engine, NumberHasher(HASH_SECRET.encode()))
        lost = [number for number in acknowledged if not store.is_opted_out(number)]
        # Cut off after the write and before the answer: the opt-out stands, unacknowledged.
        unanswered = sum(store.is_opted_out(number) for number in unacknowledged)
    finally:
        engine.dispose()
    print(
        f"\n{database_url.split(':')[0]}: {len(acknowledged) - len(lost)} of"
        f" {len(acknowledged)} acknowledged opt-outs kept;"
        f" {unanswered} of {len(unacknowledged)} unacknowledged were written; {rounds}"
    )
    assert not lost, f"{len(lost)} acknowledged opt-outs are not in the database: {lost[:10]}"

    with messages_api(TOKEN) as api:
        texting = settings | {
            "IVR_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "IVR_TWILIO_FROM": "+15550001111",
            "IVR_TWILIO_API_URL": api.url,
        }
        with gunicorn_line(texting, log) as server:
            client = LoopbackClient(server.url)
            replies = _follow_ups(client, acknowledged)
            for number in acknowledged[:CALLS_TO_TRY]:
                call = Call(client, number).press("1").press("1").press("3")  # text me this
                assert call.heard()[0] == load_content()["en"].prompts["voice_text_opted_out"]
            control = signed_post(client, "/sms", sms_form("+15550000000", "MENU", "SM0"))
        assert api.sent == [], "a text went to a number that had opted out"
    assert not replies, f"numbers that opted out got replies: {replies[:5]}"
    assert control.status_code == 200 and _messages(control.get_data(as_text=True))


def _send_then_kill(
    settings: dict[str, str],
    log: Path,
    ledger: Ledger,
    numbers: Iterator[str],
    kill_after: int,
    index: int,
) -> Round:
    """Start the server, send opt-outs from SENDERS threads, SIGKILL it mid-burst."""
    stop = threading.Event()
    drawn: list[str] = []
    draw = threading.Lock()
    with gunicorn_line(settings, log) as server:
        client = LoopbackClient(server.url)
        ledger.round_acks = 0
        deadline = time.monotonic() + ROUND_SECONDS

        def send() -> None:
            while not stop.is_set() and time.monotonic() < deadline:
                with draw:
                    number = next(numbers, None)
                    if number is None:
                        return
                    drawn.append(number)
                    body = BODIES[len(drawn) % len(BODIES)]
                ledger.sending()
                form = sms_form(number, body, f"SM{index:02d}{number[1:]:0>30}")
                try:
                    outcome = str(signed_post(client, "/sms", form).status_code)
                except (OSError, http.client.HTTPException) as error:  # cut by the kill
                    outcome = type(error).__name__
                ledger.answered(number, outcome)

        with ThreadPoolExecutor(SENDERS) as pool:
            senders = [pool.submit(send) for _ in range(SENDERS)]
            with ledger.changed:
                ledger.changed.wait_for(
                    lambda: ledger.round_acks >= kill_after and ledger.in_flight >= MIN_IN_FLIGHT,
                    timeout=ROUND_SECONDS,
                )
                in_flight = ledger.in_flight
                stop.set()
                server.kill()
        for sender in senders:
            sender.result()  # a sender's own failure is the test's
    outcomes = [ledger.outcomes[number] for number in drawn]
    return Round(
        acknowledged=outcomes.count("200"),
        in_flight_at_kill=in_flight,
        cut=sum(not outcome.isdigit() for outcome in outcomes),
        refused=Counter(o for o in outcomes if o.isdigit() and o != "200"),
    )


def _follow_ups(client: LoopbackClient, numbers: list[str]) -> list[tuple[str, str]]:
    """Text the line (and its fallback URL) from each number: the answers that were not empty."""

    def text(item: tuple[int, str]) -> list[tuple[str, str]]:
        index, number = item
        body = FOLLOW_UPS[index % len(FOLLOW_UPS)]
        form = sms_form(number, body, f"SM{index:032x}")
        answers = []
        for path in ("/sms", "/sms/fallback"):
            response = signed_post(client, path, form)
            answer = response.get_data(as_text=True)
            if response.status_code != 200 or _messages(answer):
                answers.append((number, f"{path} {body!r}: {response.status_code} {answer}"))
        return answers

    with ThreadPoolExecutor(SENDERS) as pool:
        return [answer for answers in pool.map(text, enumerate(numbers)) for answer in answers]


def _messages(twiml: str) -> list[ElementTree.Element]:
    """The <Message> elements of a TwiML answer (none for an empty <Response/>)."""
    root = ElementTree.fromstring(twiml)
    assert root.tag == "Response", twiml
    return list(root)
