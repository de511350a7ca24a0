"""Only Twilio reaches the webhooks: every request under /voice and /sms must be signed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from ivr import create_app
from ivr.security import NumberHasher, load_hash_secret

from .conftest import CALLER, PUBLIC_URL, signature, signed_post

WEBHOOKS = ["/voice/fallback", "/sms/fallback"]
FORM = {"CallSid": "CA" + "1" * 32, "From": CALLER, "To": "+15550009999", "Body": "hello"}


@pytest.mark.parametrize("path", WEBHOOKS)
def test_signed_request_is_served(client: FlaskClient, path: str) -> None:
    response = signed_post(client, path, FORM)
    assert response.status_code == 200
    assert response.mimetype == "text/xml"


@pytest.mark.parametrize("path", WEBHOOKS + ["/voice", "/sms", "/voice/no-such-route"])
def test_unsigned_request_is_refused(client: FlaskClient, path: str) -> None:
    response = client.post(path, data=FORM)
    assert response.status_code == 403
    assert b"Response" not in response.data


@pytest.mark.parametrize("path", WEBHOOKS)
def test_forged_signatures_are_refused(client: FlaskClient, path: str) -> None:
    forged = {
        "wrong token": signature(PUBLIC_URL + path, FORM, token="not-the-token"),
        "other url": signature("https://evil.example.org" + path, FORM),
        "garbage": "bm90IGEgc2lnbmF0dXJl",
    }
    for name, value in forged.items():
        response = client.post(path, data=FORM, headers={"X-Twilio-Signature": value})
        assert response.status_code == 403, name


def test_tampered_form_is_refused(client: FlaskClient) -> None:
    good = signature(PUBLIC_URL + "/sms/fallback", FORM)
    tampered = FORM | {"Body": "something else"}
    response = client.post("/sms/fallback", data=tampered, headers={"X-Twilio-Signature": good})
    assert response.status_code == 403


def test_query_string_is_part_of_the_signed_url(client: FlaskClient) -> None:
    response = signed_post(client, "/voice/fallback?lang=es", FORM)
    assert response.status_code == 200
    path_only = signature(PUBLIC_URL + "/voice/fallback", FORM)
    response = client.post(
        "/voice/fallback?lang=es", data=FORM, headers={"X-Twilio-Signature": path_only}
    )
    assert response.status_code == 403


def test_behind_a_proxy_the_forwarded_url_is_checked(config: dict[str, Any]) -> None:
    app = create_app(config | {"TRUST_PROXY": "true"})
    client = app.test_client()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "line.example.org"}
    response = signed_post(client, "/sms/fallback", FORM, headers=headers)
    assert response.status_code == 200
    # The same signature over plain http (what the app sees without the header) fails.
    response = signed_post(
        client, "/sms/fallback", FORM, headers={"X-Forwarded-Host": "line.example.org"}
    )
    assert response.status_code == 403


def test_without_proxy_trust_forwarded_headers_are_ignored(client: FlaskClient) -> None:
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example.org"}
    response = signed_post(
        client, "/sms/fallback", FORM, base_url="https://evil.example.org", headers=headers
    )
    assert response.status_code == 403


def test_health_needs_no_signature(client: FlaskClient) -> None:
    assert client.get("/healthz").status_code == 200


def test_number_hash_is_keyed_and_canonical() -> None:
    first, second = NumberHasher(b"one"), NumberHasher(b"two")
    assert first(CALLER) == first("+1 (555) 123-0001")
    assert first(CALLER) != second(CALLER)
    assert first(CALLER) != first("+15551230002")
    assert len(first(CALLER)) == 64 and "5551230001" not in first(CALLER)


def test_hash_secret_is_made_once_and_kept(tmp_path: Path) -> None:
    secret = load_hash_secret("", tmp_path)
    assert len(secret) == 64
    assert load_hash_secret("", tmp_path) == secret
    assert (tmp_path / "hash-secret").stat().st_mode & 0o777 == 0o600
    assert load_hash_secret("configured", tmp_path) == b"configured"
