"""The usage report: figures from real traffic, `ivr report`, /report, its password, retention."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from ivr import create_app
from ivr.bookkeeping import Bookkeeping
from ivr.cli import local_settings, main
from ivr.config import SettingsError
from ivr.content import load_content
from ivr.events import UsageEvent
from ivr.report.access import LOCKOUT_SECONDS, MAX_FAILURES, ReportAccess
from ivr.report.demo import demo_traffic
from ivr.report.figures import Period
from ivr.report.service import ReportError, load_report, parse_period
from ivr.report.suppress import HIDDEN, WITHHELD
from ivr.simulator.terminal import Webhooks
from ivr.store import Store
from ivr.twilio_forms import whatsapp_form

from .conftest import CALLER, PUBLIC_URL, TOKEN, signed_post
from .twilio_fakes import Call

CONTENT = load_content()
PASSWORD = "correct horse battery staple"
TODAY = datetime.now(UTC).date()


def auth(password: str = PASSWORD) -> dict[str, str]:
    token = base64.b64encode(f"report:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def report_app(config: dict[str, Any]) -> Flask:
    app = create_app(config | {"REPORT_PASSWORD": PASSWORD})
    app.testing = True
    return app


def texts_from(client: FlaskClient, numbers: int, body: str) -> None:
    for n in range(numbers):
        form = {"From": f"+1555020{n:04d}", "To": "+15550001111", "Body": body}
        assert signed_post(client, "/sms", form | {"MessageSid": f"SM{n:032x}"}).status_code == 200


def report_of(app: Flask, period: Period | None = None) -> Any:
    services = app.extensions["ivr"]
    services.bookkeeping.flush()
    return load_report(services.store, CONTENT, period or Period.ending(TODAY))


# -- figures ----------------------------------------------------------------------------------


def test_a_report_of_real_calls_and_texts(report_app: Flask) -> None:
    client = report_app.test_client()
    for n in range(12):
        Call(client, f"+1555030{n:04d}").press("1").press("2")  # English, symptoms
    texts_from(client, 12, "SYMPTOMS")
    for n in range(13):  # WhatsApp, from other numbers: a column of its own, and still texts
        form = whatsapp_form(
            f"+1555040{n:04d}", "SYMPTOMS", f"SM{n:032x}", to="+15550001111", account_sid="AC1"
        )
        assert signed_post(client, "/sms", form).status_code == 200
    report = report_of(report_app)
    topics = {label: [f.text for f in figures] for label, figures in report.table("topics").rows}
    assert report.table("topics").columns == ("Calls", "SMS", "WhatsApp", "All channels")
    assert topics[CONTENT["en"].topic("symptoms").title] == ["12", "12", "13", "37"]
    waterfall = dict(report.table("waterfall").rows)
    assert waterfall["Main menu"][0].text == "12"  # twelve keys pressed at the main menu
    texts = report.table("texts")
    assert texts.rows[-1][1][0].text == "25"  # 12 SMS and 13 WhatsApp in English this period


def test_no_count_from_1_to_10_in_any_format(report_app: Flask, tmp_path: Path) -> None:
    client = report_app.test_client()
    texts_from(client, 3, "SYMPTOMS")
    texts_from(client, 12, "MENU")
    report = report_of(report_app)
    shown = [f.text for table in report.tables for _, figures in table.rows for f in figures]
    assert HIDDEN in shown
    for text in shown:
        if text not in (HIDDEN, WITHHELD, "0"):
            assert int(text.replace(",", "")) >= 11, text


def test_a_word_shows_once_eleven_numbers_sent_it(report_app: Flask) -> None:
    client = report_app.test_client()
    texts_from(client, 10, "zebra crossing")
    assert report_of(report_app).words == ()
    texts_from(client, 10, "zebra again")  # the same ten numbers: still ten
    assert report_of(report_app).words == ()
    form = {"From": "+15550299999", "To": "+15550001111", "Body": "Zebra!", "MessageSid": "SMz"}
    signed_post(client, "/sms", form)
    assert report_of(report_app).words == (("zebra", 11),)


def test_the_words_are_not_kept_beside_any_hash(report_app: Flask) -> None:
    client = report_app.test_client()
    texts_from(client, 2, "zebra crossing")
    store = report_app.extensions["ivr"].store
    with store.engine.connect() as connection:
        words = connection.execute(sa.text("SELECT * FROM unknown_words")).all()
        senders = connection.execute(sa.text("SELECT token FROM word_senders")).scalars().all()
        hashes = connection.execute(sa.text("SELECT number_hash FROM sms_conversations")).all()
    assert {row[0] for row in words} == {"zebra", "crossing"}
    assert all(len(row) == 4 for row in words)  # word, senders, first and last day: no hash
    number_hashes = {row[0] for row in hashes}
    assert len(senders) == 4 and not any(t in h for t in senders for h in number_hashes)
    assert not any(word in token for token in senders for word in ("zebra", "crossing"))


def test_an_empty_database_gives_a_report_of_zeros(report_app: Flask) -> None:
    report = report_of(report_app)
    figures = {f.text for table in report.tables for _, fs in table.rows for f in fs}
    assert figures == {"0"} and report.words == ()


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        ("2026-13-01", None, "--since must be a date written YYYY-MM-DD"),
        ("yesterday", None, "--since must be a date"),
        ("2026-02-01", "2026-01-01", "is after --until"),
        ("2000-01-01", "2026-01-01", "at most 3660 days"),
    ],
)
def test_bad_dates_get_one_clear_sentence(since: str, until: str | None, message: str) -> None:
    with pytest.raises(ReportError, match=message):
        parse_period(since, until)


def test_the_default_period_is_the_last_30_days() -> None:
    assert parse_period(None, None, date(2026, 3, 30)) == Period(
        date(2026, 3, 1), date(2026, 3, 30)
    )


def test_counts_are_by_day_and_the_period_chooses_them(store: Store) -> None:
    old = datetime.now(UTC) - timedelta(days=40)
    store.write_bookkeeping(
        [
            UsageEvent("sms", "menu", language="en", occurred_at=old),
            UsageEvent("sms", "menu", language="en"),
            UsageEvent("sms", "menu", language="en"),
        ]
    )
    daily, overall = store.report_counts(TODAY - timedelta(days=1), TODAY)
    assert [(row["day"], row["kind"], row["count"]) for row in daily] == [(TODAY, "menu", 2)]
    assert [(row["kind"], row["count"]) for row in overall] == [("menu", 2)]
    assert sum(row["count"] for row in store.report_counts(old.date(), TODAY)[1]) == 3


def test_retention_prunes_old_events_counts_and_words_in_batches(store: Store) -> None:
    old = datetime.now(UTC) - timedelta(days=500)
    # A call's steps are kept one by one and counted; a text is only counted.
    store.write_bookkeeping(
        [UsageEvent("voice", "step", call_sid="CA1", occurred_at=old) for _ in range(7)]
    )
    store.write_bookkeeping([UsageEvent("voice", "step", call_sid="CA2")])
    store.write_bookkeeping([UsageEvent("sms", "not-understood", occurred_at=old)])
    store.save_sms_turn(CALLER, words=("zebra",))
    with store.engine.begin() as connection:  # sent 500 days ago
        connection.execute(
            sa.text("UPDATE unknown_words SET first_seen = :day, last_seen = :day"),
            {"day": old.date()},
        )
        connection.execute(sa.text("UPDATE word_senders SET seen_on = :day"), {"day": old.date()})
    removed = store.prune_events(datetime.now(UTC) - timedelta(days=400), batch=3)
    assert removed == 7 + 2 + 1 + 1  # 7 steps, 2 counts, a sender, a word
    assert store.call_events("CA1") == []
    with store.engine.connect() as connection:
        left = connection.execute(sa.text("SELECT count(*) FROM usage_events")).scalar()
        words = connection.execute(sa.text("SELECT count(*) FROM unknown_words")).scalar()
    assert (left, words) == (1, 0)
    left_counted = store.report_counts(old.date(), TODAY)[1]
    assert [(row["kind"], row["count"]) for row in left_counted] == [("step", 1)]


def test_retention_is_a_setting(config: dict[str, Any]) -> None:
    assert create_app(config).extensions["ivr"].settings.event_retention_days == 400
    with pytest.raises(SettingsError, match="IVR_EVENT_RETENTION_DAYS must be a whole number"):
        create_app(config | {"EVENT_RETENTION_DAYS": "a year"})


# -- the page ----------------------------------------------------------------------------------


def test_the_report_is_closed_without_a_password(client: FlaskClient) -> None:
    response = client.get("/report", headers=auth())
    assert response.status_code == 404
    assert b"IVR_REPORT_PASSWORD" in response.data


def test_the_page_asks_for_its_password(report_app: Flask) -> None:
    client = report_app.test_client()
    response = client.get("/report")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert client.get("/report", headers=auth("wrong")).status_code == 401
    page = client.get("/report", headers=auth())
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert '<html lang="en">' in html and "<svg" in html and "<table>" in html


def test_the_page_is_no_webhook_and_no_webhook_takes_its_password(report_app: Flask) -> None:
    client = report_app.test_client()
    assert client.get("/voice/report", headers=auth()).status_code == 403
    assert client.get("/sms/report", headers=auth()).status_code == 403


def test_repeated_wrong_passwords_lock_the_address_out(report_app: Flask) -> None:
    client = report_app.test_client()
    for _ in range(MAX_FAILURES):
        assert client.get("/report", headers=auth("guess")).status_code == 401
    locked = client.get("/report", headers=auth())
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    other = client.get("/report", headers=auth(), environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


def test_a_lockout_ends() -> None:
    now = [0.0]
    access = ReportAccess(PASSWORD, clock=lambda: now[0])
    for _ in range(MAX_FAILURES):
        assert not access.check("a", "guess")
    assert access.locked_out("a") > 0
    now[0] += LOCKOUT_SECONDS + 1
    assert access.locked_out("a") == 0 and access.check("a", PASSWORD)


def test_bad_dates_on_the_page_are_a_400_that_says_why(report_app: Flask) -> None:
    response = report_app.test_client().get("/report?since=31/01/2026", headers=auth())
    assert response.status_code == 400
    assert "must be a date written YYYY-MM-DD" in response.get_data(as_text=True)


def test_a_database_down_is_a_503_and_calls_go_on(
    report_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = report_app.extensions["ivr"].store

    def down(*args: object) -> None:
        raise sa.exc.OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(store, "report_counts", down)
    client = report_app.test_client()
    response = client.get("/report", headers=auth())
    assert response.status_code == 503
    assert "database did not answer" in response.get_data(as_text=True)
    assert Call(client).press("1").gather is not None


# -- the command line --------------------------------------------------------------------------


def run_report(tmp_path: Path, *args: str, database: str | None = None) -> Any:
    env = {"IVR_INSTANCE_DIR": str(tmp_path / "instance")}
    if database:
        env["IVR_DATABASE_URL"] = database
    return CliRunner().invoke(main, ["report", *args], env=env)


@pytest.mark.parametrize("form", ["text", "csv", "json"])
def test_ivr_report_in_each_format(tmp_path: Path, form: str) -> None:
    result = run_report(
        tmp_path, "--format", form, "--since", "2026-01-01", "--until", "2026-01-31"
    )
    assert result.exit_code == 0, result.output
    if form == "json":
        document = json.loads(result.output)
        assert (document["since"], document["until"]) == ("2026-01-01", "2026-01-31")
        assert [t["key"] for t in document["tables"]][:2] == ["calls", "texts"]
    elif form == "csv":
        assert result.output.splitlines()[0] == "table,row,column,figure"
    else:
        assert "Usage report, 2026-01-01 to 2026-01-31" in result.output


def test_ivr_report_refuses_a_bad_date(tmp_path: Path) -> None:
    result = run_report(tmp_path, "--until", "tomorrow")
    assert result.exit_code == 1
    assert "--until must be a date written YYYY-MM-DD" in result.output


def test_ivr_report_says_when_the_database_is_down(tmp_path: Path) -> None:
    closed = "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2"
    result = run_report(tmp_path, database=closed)
    assert result.exit_code == 1
    assert "The database did not answer" in result.output
    assert "Traceback" not in result.output


# -- something to look at ----------------------------------------------------------------------


def test_ivr_serve_makes_up_a_report_password_and_keeps_a_given_one() -> None:
    made = local_settings({}, "127.0.0.1", 5000, keep_token=False)["IVR_REPORT_PASSWORD"]
    assert len(made) >= 16
    given = {"IVR_REPORT_PASSWORD": PASSWORD}
    assert local_settings(given, "127.0.0.1", 5000, keep_token=False)["IVR_REPORT_PASSWORD"] == (
        PASSWORD
    )


def test_demo_traffic_goes_through_the_signed_webhooks(report_app: Flask) -> None:
    sent = demo_traffic(Webhooks(PUBLIC_URL, TOKEN, report_app), calls=20, texts=30, workers=1)
    assert (sent.calls, sent.texts, sent.failures) == (20, 30, 0)
    report = report_of(report_app)
    waterfall = dict(report.table("waterfall").rows)
    assert waterfall["Welcome (language)"][0].text != "0"  # each call chose its language
    assert report.table("texts").rows[-1][1][0].text != "0"


def test_the_bookkeeping_thread_prunes_after_its_first_write_then_rarely(store: Store) -> None:
    pruned: list[int] = []

    def prune() -> None:
        pruned.append(1)
        raise RuntimeError("the database is busy")  # logged; the writes go on

    books = Bookkeeping(store, prune=prune, prune_every=3600)
    books.record(UsageEvent("sms", "menu"))
    assert books.flush()
    books.record(UsageEvent("sms", "menu"))
    assert books.flush()
    assert len(pruned) == 1
    assert store.report_counts(TODAY, TODAY)[1][0]["count"] == 2
