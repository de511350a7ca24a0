"""Twilio's fallback URLs: valid TwiML that apologises and keeps the caller or texter moving."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

from flask.testing import FlaskClient

from ivr.content import load_content
from ivr.segments import segments

from .conftest import CALLER, signed_post


def test_voice_fallback_apologises_in_both_languages_and_connects(client: FlaskClient) -> None:
    response = signed_post(client, "/voice/fallback", {"From": CALLER, "ErrorCode": "11200"})
    root = ElementTree.fromstring(response.data)
    says = root.findall("./Say")
    assert [say.get("language") for say in says] == ["en-US", "es-US"]
    content = load_content()
    assert says[0].text == content["en"].prompt("voice_fallback")
    assert says[1].text == content["es"].prompt("voice_fallback")
    assert root.find("./Dial").text == "+18004226237"


def test_sms_fallback_is_one_short_message(client: FlaskClient) -> None:
    response = signed_post(client, "/sms/fallback", {"From": CALLER, "Body": "hi"})
    messages = ElementTree.fromstring(response.data).findall("./Message")
    assert len(messages) == 1
    assert "1-800-4-CANCER" in messages[0].text
    assert segments(messages[0].text).count == 1


def test_every_prompt_the_code_uses_exists() -> None:
    package = Path(__file__).resolve().parent.parent / "ivr"
    used = set()
    for path in package.rglob("*.py"):
        used |= set(re.findall(r"""prompt\(\s*["']([a-z0-9_]+)["']""", path.read_text()))
    content = load_content()
    assert used, "no prompt use found: the pattern is stale"
    assert used <= set(content["en"].prompts) and used <= set(content["es"].prompts)
