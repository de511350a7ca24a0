"""Load on the cluster (ivr.cluster) while one line server is SIGKILLed and started again.

Senders text the proxy from many numbers at once, as Twilio would: opt-outs, questions, and a
few heavy texters who go over the rate limit. Mid-load one server is killed (master and
workers), the load goes on, the server is started again and rejoins. Then every acknowledged
opt-out must be in the database, no number that opted out may get a reply, errors must be
those nginx sent to the killed server, and no heavy texter may get more than the limit.
"""

from __future__ import annotations

import http.client
import itertools
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit
from xml.etree import ElementTree

from limits import parse_many
from twilio.request_validator import RequestValidator

from ivr.cluster import Cluster
from ivr.security import NumberHasher
from ivr.store import Store, create_engine
from ivr.twilio_forms import sms_form

LINE_NUMBER = "+15550001111"
ACCOUNT_SID = "AC" + "c" * 32
REQUEST_SECONDS = 15  # Twilio's own wait for a webhook
SENDERS = 8
OPT_OUT_BODIES = ["STOP", "PARAR", "UNSUBSCRIBE", "Stop texting me", "CANCELAR", "QUIT"]
QUESTIONS = ["MENU", "SYMPTOMS", "HOLA", "1", "SITES BREAST", "TREATMENT", "SINTOMAS", "2"]
HEAVY_TEXTERS = 4  # numbers that text again and again, to test the shared rate limit
HEAVY_SHARE = 5  # one message in this many comes from a heavy texter


@dataclass(frozen=True)
class Sent:
    """One webhook as the sender saw it."""

    number: str
    body: str
    started: float  # time.time(), to compare with nginx's log
    ended: float
    outcome: str  # the status, or the name of the error that cut the connection
    replied: bool  # the answer held a <Message>

    @property
    def ok(self) -> bool:
        return self.outcome == "200"


@dataclass
class Figures:
    """What the run found; printed by scripts/cluster, asserted by tests/test_cluster.py."""

    requests: int = 0
    errors: int = 0
    in_flight_at_kill: int = 0
    errors_started_after_kill: int = 0
    errors_not_on_killed_server: int = 0  # nginx-logged failures from the server left running
    opt_outs_acknowledged: int = 0
    opt_outs_found: int = 0
    replies_to_opted_out: int = 0
    replies_over_limit: int = 0
    heavy_replies: dict[str, int] = field(default_factory=dict)
    restart_seconds: float = 0.0
    served_by_restarted: int = 0  # requests the restarted server answered afterwards
    restarted_log_errors: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"requests sent through the proxy: {self.requests:,}",
            f"errors: {self.errors} ({self.in_flight_at_kill} requests were in flight during the"
            " kill;"
            f" {self.errors_started_after_kill} errors among requests sent after it;"
            f" {self.errors_not_on_killed_server} from the server left running)",
            f"opt-outs acknowledged: {self.opt_outs_acknowledged}; found in the database:"
            f" {self.opt_outs_found}; replies to numbers that opted out: "
            f"{self.replies_to_opted_out}",
            f"replies over the limit: {self.replies_over_limit} (heavy texters' replies,"
            f" notice included: {sorted(self.heavy_replies.values())})",
            f"the killed server restarted in {self.restart_seconds:.1f} s and then answered"
            f" {self.served_by_restarted} requests; errors in its log:"
            f" {len(self.restarted_log_errors)}",
        ]


class Twilio:
    """Signs and posts webhooks to the cluster's public URL, one connection each, as Twilio."""

    def __init__(self, cluster: Cluster) -> None:
        self.url = cluster.public_url
        self._validator = RequestValidator(cluster.token)
        self._sids = itertools.count()
        self._lock = threading.Lock()

    def text(self, number: str, body: str) -> Sent:
        with self._lock:
            sid = f"SM{next(self._sids):032x}"
        form = sms_form(number, body, sid, to=LINE_NUMBER, account_sid=ACCOUNT_SID)
        started = time.time()
        try:
            status, answer = self.post("/sms", form)
            outcome, replied = str(status), status == 200 and bool(_messages(answer))
        except (OSError, http.client.HTTPException) as error:
            outcome, replied = type(error).__name__, False
        return Sent(number, body, started, time.time(), outcome, replied)

    def post(self, path: str, form: dict[str, str], url: str | None = None) -> tuple[int, str]:
        """POST form to path, signed for the public URL (or url); the status and the body."""
        signed_for = (url or self.url) + path
        target = urlsplit(self.url)
        host = target.hostname or "127.0.0.1"
        connection = http.client.HTTPConnection(host, target.port, REQUEST_SECONDS)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self._validator.compute_signature(signed_for, form),
            "User-Agent": "TwilioProxy/1.1",
        }
        try:
            connection.request("POST", path, body=urlencode(form), headers=headers)
            answer = connection.getresponse()
            return answer.status, answer.read().decode("utf-8", "replace")
        finally:
            connection.close()


@dataclass
class _Load:
    """The senders' shared state: what was sent, and how many requests are waiting."""

    sent: list[Sent] = field(default_factory=list)
    in_flight: int = 0
    changed: threading.Condition = field(default_factory=threading.Condition)
    stop: threading.Event = field(default_factory=threading.Event)


def run(cluster: Cluster, rate_limit: str, *, before: float = 3, after: float = 3) -> Figures:
    """Load the cluster, kill the first server, go on, restart it, go on; then check."""
    twilio = Twilio(cluster)
    load = _Load()
    numbers = _numbers()
    heavy = [next(numbers) for _ in range(HEAVY_TEXTERS)]
    counter = itertools.count()
    draw = threading.Lock()

    def send() -> None:
        while not load.stop.is_set():
            with draw:
                n = next(counter)
                if n % HEAVY_SHARE == 0:
                    number, body = heavy[(n // HEAVY_SHARE) % HEAVY_TEXTERS], "MENU"
                elif n % 3 == 0:
                    number, body = next(numbers), OPT_OUT_BODIES[n % len(OPT_OUT_BODIES)]
                else:
                    number, body = next(numbers), QUESTIONS[n % len(QUESTIONS)]
            with load.changed:
                load.in_flight += 1
            sent = twilio.text(number, body)
            with load.changed:
                load.in_flight -= 1
                load.sent.append(sent)
                load.changed.notify_all()

    killed, survivor = cluster.servers
    figures = Figures()
    with ThreadPoolExecutor(SENDERS) as pool:
        senders = [pool.submit(send) for _ in range(SENDERS)]
        try:
            time.sleep(before)
            with load.changed:  # kill while requests are waiting for their answer
                load.changed.wait_for(lambda: load.in_flight >= SENDERS // 2, timeout=10)
                kill_began = time.time()
            killed.kill()
            killed_at = time.time()  # every process of the server is gone
            time.sleep(after)
            figures.restart_seconds = killed.start()
            restarted_at = time.time()
            _wait_until_served(cluster, killed.address, restarted_at, timeout=15)
            time.sleep(1)
        finally:
            load.stop.set()
            for sender in senders:
                sender.result()

    sent = load.sent
    figures.requests = len(sent)
    # In flight while the server died: sent before it was gone, answered after the kill began.
    figures.in_flight_at_kill = sum(s.started < killed_at and s.ended > kill_began for s in sent)
    figures.errors = sum(not s.ok for s in sent)
    figures.errors_started_after_kill = sum(not s.ok and s.started > killed_at for s in sent)
    proxied = cluster.proxied()
    figures.errors_not_on_killed_server = sum(
        status != 200 and killed.address not in upstream for _, _, status, upstream in proxied
    )
    figures.served_by_restarted = sum(
        at > restarted_at and upstream == killed.address for at, _, _, upstream in proxied
    )
    figures.restarted_log_errors = [
        line
        for line in killed.log.read_text(errors="replace").splitlines()[-2000:]
        if "Worker failed to boot" in line or "already exists" in line
    ]
    acknowledged = sorted({s.number for s in sent if s.ok and s.body in OPT_OUT_BODIES})
    figures.opt_outs_acknowledged = len(acknowledged)
    figures.opt_outs_found = _opted_out(cluster, acknowledged)
    follow_ups = [twilio.text(number, "MENU") for number in acknowledged]
    figures.replies_to_opted_out = sum(s.replied or not s.ok for s in follow_ups)
    for number in heavy:
        figures.heavy_replies[number] = sum(s.replied for s in sent if s.number == number)
    allowed = min(item.amount for item in parse_many(rate_limit))
    # The most one number may get in the run: the limit, and one notice saying when to retry.
    figures.replies_over_limit = sum(
        max(0, replies - allowed - 1) for replies in figures.heavy_replies.values()
    )
    return figures


def _numbers() -> Iterator[str]:
    return (f"+1555{n:07d}" for n in itertools.count(3_000_000))


def _wait_until_served(cluster: Cluster, address: str, since: float, timeout: float) -> None:
    """Until nginx has sent a request to address after since (it retries a server it left)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(at > since and upstream == address for at, _, _, upstream in cluster.proxied()):
            return
        time.sleep(0.2)


def _opted_out(cluster: Cluster, numbers: list[str]) -> int:
    engine = create_engine(cluster.database_url)
    try:
        store = Store(engine, NumberHasher(cluster.hash_secret.encode()))
        return sum(store.is_opted_out(number) for number in numbers)
    finally:
        engine.dispose()


def _messages(twiml: str) -> list[ElementTree.Element]:
    root = ElementTree.fromstring(twiml)
    return [node for node in root if node.tag == "Message"]
