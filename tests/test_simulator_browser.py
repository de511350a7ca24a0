"""The simulator in a real browser: call, press through to an answer, text, and check access."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ivr.content import load_content

from .browser import axe_source, running_instance

CONTENT = load_content()


@pytest.fixture
def page(browser, base_url: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.fetched = []  # every URL the page requested
    page.on("request", lambda request: page.fetched.append(request.url))
    page.goto(base_url + "/simulator?pace=0")  # no speech, no waiting: the tests read the text
    yield page
    context.close()


def heard(page, text: str) -> None:  # type: ignore[no-untyped-def]
    page.locator("#transcript li", has_text=text).first.wait_for(timeout=15000)


def test_call_press_through_to_an_answer(page) -> None:  # type: ignore[no-untyped-def]
    english = CONTENT["en"]
    page.click("#call")
    heard(page, english.prompts["voice_choose_language"])
    page.keyboard.press("1")
    heard(page, "For what metastatic cancer is")
    page.click(".key[data-key='4']")
    heard(page, "For where cancer spreads")
    page.keyboard.press("1")
    heard(page, english.topic("where-spread").title)
    page.fill("#say-input", "prostate")
    page.click("#say-form button")
    heard(page, english.sites_sentence(english.cancer("prostate")))
    page.keyboard.press("0")
    page.locator("#dial-text", has_text="+18004226237").wait_for()
    page.click("[data-dial='no-answer']")
    heard(page, english.prompts["voice_transfer_failed"])
    page.click("#hangup")
    page.locator("#call-status", has_text="Not in a call").wait_for()
    transcript = page.inner_text("#transcript")
    assert "You press 4." in transcript and 'You say: "prostate"' in transcript
    assert any("/voice" in url for url in page.fetched)
    recordings = [url for url in page.fetched if "/audio/en/" in url]
    assert any("topic.where-spread.title" in url for url in recordings), recordings


def test_spanish_and_text_me_this(page) -> None:  # type: ignore[no-untyped-def]
    spanish = CONTENT["es"]
    page.click("#call")
    heard(page, spanish.prompts["voice_choose_language"])
    page.keyboard.press("2")
    heard(page, "Para síntomas")
    page.keyboard.press("2")
    heard(page, spanish.topic("symptoms").parts[0])
    page.keyboard.press("3")
    heard(page, spanish.prompts["voice_text_sending"])
    page.locator("#messages li", has_text=spanish.topic("symptoms").summary).wait_for(timeout=10000)


def test_keyboard_alone(page) -> None:  # type: ignore[no-untyped-def]
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "number"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "call"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.id === 'hangup'", timeout=5000)
    heard(page, CONTENT["en"].prompts["voice_choose_language"])
    page.keyboard.press("1")
    heard(page, "For what metastatic cancer is")
    page.keyboard.press("#")
    page.keyboard.press("Enter")  # on "Hang up"
    page.locator("#call-status", has_text="Not in a call").wait_for()
    assert page.evaluate("document.activeElement.id") == "call"


def test_no_accessibility_violations(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.add_script_tag(content=axe_source())
    page.click("#call")
    heard(page, "For English")
    results = page.evaluate("async () => await axe.run(document)")
    violations = [(v["id"], v["help"], len(v["nodes"])) for v in results["violations"]]
    (tmp_path / "axe.json").write_text(json.dumps(results["violations"], indent=2))
    assert violations == []


def test_texting_from_the_page(page) -> None:  # type: ignore[no-untyped-def]
    spanish = CONTENT["es"]
    page.fill("#sms-input", "sintomas")
    page.keyboard.press("Enter")
    reply = page.locator("#messages li.in", has_text=spanish.topic("symptoms").summary)
    reply.wait_for(timeout=10000)
    assert "segment" in reply.inner_text()
    page.fill("#sms-input", "MAS")
    page.keyboard.press("Enter")
    more = page.locator("#messages li.in").nth(1)  # the second reply: the first part
    more.wait_for(timeout=10000)
    assert spanish.topic("symptoms").parts[0][:30] in more.inner_text()
    assert more.inner_text() != reply.inner_text()


def test_ivr_text_against_the_running_server(base_url: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    instance = running_instance(base_url)
    command = [
        sys.executable,
        "-c",
        "from ivr.cli import main; main()",
        "text",
        "SYMPTOMS",
        "--url",
        base_url,
    ]
    env = {"IVR_INSTANCE_DIR": str(instance), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert CONTENT["en"].topic("symptoms").summary in result.stdout
    assert "GSM-7" in result.stdout
