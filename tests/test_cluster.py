"""The line on several servers (ivr.cluster): nginx in front of two production gunicorns, one
PostgreSQL and one Redis, with IVR_TRUST_PROXY on, as docs/deploy.md describes it.

Signed traffic through the proxy gets the answers one server gives; a number's rate limit
holds across both servers; and one server SIGKILLed mid-load loses no opt-out, leaves errors
only on the requests it held, and rejoins when started again (ivr.failover, which
scripts/cluster runs too). PostgreSQL is IVR_TEST_DATABASE_URL, or else a throwaway cluster;
redis-server and nginx come from Debian. Without them the tests say why they skipped (in CI,
where .ci/run installs them, they fail).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from flask.testing import FlaskClient

from ivr import create_app, failover
from ivr.cluster import Cluster, Missing, line_cluster, postgres_server, redis_server
from ivr.twilio_forms import call_form, sms_form

from .conftest import POSTGRES_URL, reset_database, signature

TOKEN = "cluster-test-token-0123456789abcdef"
RATE_LIMIT = "5/minute;100/day"
# Conversations texted to the line, each from a number of its own.
TEXTS = [
    ["HOLA", "SINTOMAS", "MAS"],
    ["SYMPTOMS", "MORE", "MORE", "MENU"],
    ["SITES", "BREAST", "what are the symptoms?"],
    ["STOP", "MENU", "START", "HELP"],
    ["ESPANOL", "1", "ENGLISH"],
    ["tratamiento", "MAS"],
]
# Calls, as the keys pressed after the opening.
CALLS = [["1", "1", "9", "#"], ["2", "3", "1"], ["1", "4", "1", "3"], ["1", "5", "*", "2"]]
TO_THE_LINE = {"to": failover.LINE_NUMBER, "account_sid": failover.ACCOUNT_SID}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    work = tmp_path_factory.mktemp("cluster")
    try:
        with redis_server(work) as redis:
            if POSTGRES_URL:
                reset_database(POSTGRES_URL)
                with line_cluster(POSTGRES_URL, redis, TOKEN, _settings(), run_dir=work) as up:
                    yield up
                return
            with postgres_server() as database:
                with line_cluster(database, redis, TOKEN, _settings(), run_dir=work) as up:
                    yield up
    except Missing as missing:
        pytest.skip(str(missing))


def _settings() -> dict[str, str]:
    return {"IVR_SMS_RATE_LIMIT": RATE_LIMIT}


@pytest.fixture
def one_server(cluster: Cluster, tmp_path: Path) -> Iterator[FlaskClient]:
    """The line as one server, in process, on SQLite, answering to the cluster's public URL."""
    app = create_app(
        {
            "TWILIO_AUTH_TOKEN": TOKEN,
            "PUBLIC_URL": cluster.public_url,
            "INSTANCE_DIR": str(tmp_path / "instance"),
            "SMS_RATE_LIMIT": RATE_LIMIT,
        }
    )
    app.testing = True
    yield app.test_client()
    app.extensions["ivr"].bookkeeping.flush()
    app.extensions["ivr"].store.engine.dispose()


class InProcess:
    """Posts signed webhooks to the in-process line, with its writes done after each."""

    def __init__(self, client: FlaskClient, public_url: str) -> None:
        self.client, self.public_url = client, public_url

    def post(self, path: str, form: dict[str, str]) -> tuple[int, str]:
        headers = {"X-Twilio-Signature": signature(self.public_url + path, form, TOKEN)}
        response = self.client.post(path, data=form, headers=headers)
        body = response.get_data(as_text=True)
        response.close()
        assert self.client.application.extensions["ivr"].bookkeeping.flush()
        return response.status_code, body


def _walk(line: failover.Twilio | InProcess) -> list[tuple[int, str]]:
    """Every conversation and call, a step of each at a time; every answer, in order."""
    answers: list[tuple[int, str]] = []
    texts = [iter(bodies) for bodies in TEXTS]
    calls: list[tuple[str, Iterator[str]] | None] = [None] * len(CALLS)
    actions: list[str] = ["/voice"] * len(CALLS)
    for step in range(max(map(len, TEXTS + CALLS)) + 1):
        for index, bodies in enumerate(texts):
            body = next(bodies, None)
            if body is not None:
                number = f"+1555600{index:04d}"
                sid = f"SM{index:04d}{step:028d}"
                form = sms_form(number, body, sid, **TO_THE_LINE)
                answers.append(line.post("/sms", form))
        for index, keys in enumerate(CALLS):
            number, sid = f"+1555700{index:04d}", f"CA{index:032d}"
            form = call_form(number, sid, **TO_THE_LINE)
            if calls[index] is None:
                calls[index] = (sid, iter(keys))
            else:
                digits = next(calls[index][1], None)  # type: ignore[index]
                if digits is None:
                    continue
                form = form | {"Digits": digits}
            status, twiml = line.post(actions[index], form)
            answers.append((status, twiml))
            gather = ElementTree.fromstring(twiml).find(".//Gather")
            if gather is not None:
                action = urlsplit(gather.get("action", "/voice"))
                actions[index] = action.path + (f"?{action.query}" if action.query else "")
    return answers


def test_signed_traffic_through_the_proxy_gets_the_same_answers_as_one_server(
    cluster: Cluster, one_server: FlaskClient
) -> None:
    through_proxy = _walk(failover.Twilio(cluster))
    alone = _walk(InProcess(one_server, cluster.public_url))
    assert [status for status, _ in through_proxy] == [200] * len(through_proxy)
    assert len(through_proxy) >= 35
    assert through_proxy == alone
    # Both servers answered some of it.
    upstreams = {upstream for _, _, _, upstream in cluster.proxied()}
    assert {server.address for server in cluster.servers} <= upstreams


def test_signatures_are_checked_against_the_public_url_the_proxy_forwards(
    cluster: Cluster,
) -> None:
    twilio = failover.Twilio(cluster)
    form = sms_form("+15556660001", "MENU", "SM" + "6" * 32, **TO_THE_LINE)
    assert twilio.post("/sms", form)[0] == 200
    # Signed for another host: refused.
    assert twilio.post("/sms", form, url="https://line.example.org")[0] == 403
    # Signed for the public URL but sent to a server directly: its URL is not the public one.
    for server in cluster.servers:
        direct = failover.Twilio(cluster)
        direct.url = f"http://{server.address}"
        assert direct.post("/sms", form, url=cluster.public_url)[0] == 403


def test_a_numbers_rate_limit_holds_across_both_servers(cluster: Cluster) -> None:
    twilio = failover.Twilio(cluster)
    since = time.time()
    sent = [twilio.text("+15556660002", "MENU") for _ in range(12)]
    assert all(s.ok for s in sent)
    # Five replies (the limit), one notice saying when to try again, then nothing.
    assert [s.replied for s in sent] == [True] * 6 + [False] * 6
    served = [upstream for at, path, _, upstream in cluster.proxied() if at >= since]
    assert all(served.count(server.address) >= 4 for server in cluster.servers), served


def test_one_server_killed_mid_load_loses_no_opt_out_and_the_other_carries_on(
    cluster: Cluster,
) -> None:
    figures = failover.run(cluster, RATE_LIMIT)
    print("\n" + "\n".join(figures.lines()))
    assert figures.requests > 200
    assert figures.opt_outs_acknowledged > 20
    assert figures.opt_outs_found == figures.opt_outs_acknowledged
    assert figures.replies_to_opted_out == 0
    assert figures.errors <= figures.in_flight_at_kill
    assert figures.errors_started_after_kill == 0  # the other server took everything at once
    assert figures.errors_not_on_killed_server == 0
    assert figures.replies_over_limit == 0
    # Started again on the same database: it boots (no migration race) and nginx uses it.
    assert figures.served_by_restarted > 0
    assert not figures.restarted_log_errors
