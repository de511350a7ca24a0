"""The database goes down: calls still play every answer, texts never go to an opted-out
number, and an opt-out taken while it is down reaches the database when it comes back."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from flask import Flask

from ivr import create_app
from ivr.content import load_content
from ivr.journal import JOURNAL_FILE

from .conftest import POSTGRES_URL, signed_post
from .twilio_fakes import ACCOUNT_SID, Call, messages_api

CONTENT = load_content()
TEXTER = "+15558880001"


@pytest.fixture(params=["sqlite", "postgresql"])
def outage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Callable]]:
    """A database of the line's own, and a way to take it down and bring it back."""
    if request.param == "sqlite":
        folder = tmp_path / "db"
        url = f"sqlite:///{folder / 'ivr.sqlite3'}"

        @contextmanager
        def down(app: Flask) -> Iterator[None]:
            app.extensions["ivr"].store.engine.dispose()
            folder.rename(tmp_path / "db-away")  # the file is gone; nothing can open it
            try:
                yield
            finally:
                (tmp_path / "db-away").rename(folder)

        yield url, down
        return
    if not POSTGRES_URL:
        pytest.skip("IVR_TEST_DATABASE_URL is not set; .ci/run starts PostgreSQL and sets it")
    name = f"ivr_outage_{secrets.token_hex(4)}"
    admin = sa.create_engine(
        POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"

    def set_connections(allowed: bool) -> None:
        with admin.connect() as connection:
            connection.execute(
                sa.text(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS {str(allowed).lower()}")
            )
            if not allowed:
                connection.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                    ),
                    {"n": name},
                )

    @contextmanager
    def down(app: Flask) -> Iterator[None]:
        set_connections(False)
        try:
            yield
        finally:
            set_connections(True)

    yield url, down
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def line(config: dict[str, Any], outage: tuple[str, Callable]) -> Iterator[Flask]:
    with messages_api(config["TWILIO_AUTH_TOKEN"]) as api:
        app = create_app(
            config
            | {
                "DATABASE_URL": outage[0],
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_FROM": "+15550001111",
                "TWILIO_API_URL": api.url,
            }
        )
        app.sent = api.sent  # type: ignore[attr-defined]
        yield app
        app.extensions["ivr"].store.engine.dispose()


def text(app: Flask, body: str, number: str = TEXTER) -> list[str]:
    form = {"From": number, "Body": body, "MessageSid": "SM" + secrets.token_hex(16)}
    response = signed_post(app.test_client(), "/sms", form)
    assert response.status_code == 200
    return [m.text or "" for m in ElementTree.fromstring(response.data).iter("Message")]


def down(outage: tuple[str, Callable], app: Flask) -> AbstractContextManager[None]:
    return outage[1](app)


def test_calls_play_every_answer_while_the_database_is_down(line: Flask, outage: Any) -> None:
    with down(outage, line):
        assert line.test_client().get("/healthz").get_json()["store"] == "unavailable"
        for topic in CONTENT["es"].topics[:3]:
            call = Call(line.test_client(), "+15558880002").press("2")  # a new caller, Spanish
            call.say(topic.speech_hints[0])
            assert topic.spoken_part(1) in call.heard()
            for number in range(2, len(topic.parts) + 1):
                assert call.silence().heard() == [topic.spoken_part(number)]
        text_me = Call(line.test_client(), "+15558880003").press("1").press("2").press("3")
        assert text_me.heard()[0] == CONTENT["en"].prompts["voice_text_failed"]
    assert line.sent == []  # the opt-out list could not be read, so nothing was sent


def test_texts_wait_and_opt_outs_are_kept_while_the_database_is_down(
    line: Flask, outage: Any, config: dict[str, Any]
) -> None:
    assert text(line, "SYMPTOMS")  # answered while the database is up
    journal = Path(config["INSTANCE_DIR"]) / JOURNAL_FILE
    with down(outage, line):
        assert text(line, "MORE") == []  # the opt-out list cannot be read: nothing is sent
        assert text(line, "STOP") == []  # Twilio confirms STOP itself
        assert text(line, "PARAR", "+15558880009")  # the line confirms words Twilio does not know
        entries = [json.loads(row) for row in journal.read_text().splitlines()]
        assert len(entries) == 2 and all(entry["opted_out"] for entry in entries)
        assert "5558880001" not in journal.read_text()
    # The database is back: the journaled opt-outs reach it, and nothing goes to either number.
    assert text(line, "SYMPTOMS") == []
    assert text(line, "HELP", "+15558880009") == []
    store = line.extensions["ivr"].store
    assert store.is_opted_out(TEXTER) and store.is_opted_out("+15558880009")
    assert journal.read_text() == ""
    call = Call(line.test_client(), TEXTER).press("1").press("2").press("3")
    assert call.heard()[0] == CONTENT["en"].prompts["voice_text_opted_out"]
    assert line.sent == []


def test_the_fallback_url_also_keeps_an_opt_out(line: Flask, outage: Any) -> None:
    with down(outage, line):
        response = signed_post(
            line.test_client(), "/sms/fallback", {"From": TEXTER, "Body": "Stop"}
        )
        assert response.status_code == 200
        assert ElementTree.fromstring(response.data).findall("./Message") == []
    assert line.extensions["ivr"].store.is_opted_out(TEXTER)


def test_journaled_opt_outs_are_written_at_start_up(
    line: Flask, outage: Any, config: dict[str, Any]
) -> None:
    with down(outage, line):
        text(line, "UNSUBSCRIBE")
    again = create_app(config | {"DATABASE_URL": outage[0]})
    assert (Path(config["INSTANCE_DIR"]) / JOURNAL_FILE).read_text() == ""
    with again.extensions["ivr"].store.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT opted_out FROM sms_opt_outs")).all()
    assert [tuple(row) for row in rows] == [(True,)]
    again.extensions["ivr"].store.engine.dispose()


def test_an_opt_out_journaled_by_one_worker_stops_the_others(
    line: Flask, outage: Any, config: dict[str, Any]
) -> None:
    other = create_app(config | {"DATABASE_URL": outage[0]})  # a second worker, same instance
    with down(outage, line):
        assert text(line, "PARAR")
    assert text(other, "5") == []  # the other worker reads the journal before it answers
    assert other.extensions["ivr"].store.is_opted_out(TEXTER)
    other.extensions["ivr"].store.engine.dispose()
