"""The simulator in a real browser: call, press through to an answer, text, and check access."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.content import load_content

from .browser import CHROMIUM_ARGS, axe_source, chromium_path, running_line

CONTENT = load_content()


INSTANCES: dict[str, Path] = {}


def running_instance(base_url: str) -> Path:
    """The instance folder of the server at base_url (where it keeps its made-up token)."""
    return INSTANCES[base_url]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    instance = tmp_path_factory.mktemp("line") / "instance"
    with running_line(instance) as url:
        INSTANCES[url] = instance
        yield url


@pytest.fixture(scope="module")
def browser(base_url: str) -> Iterator[object]:
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


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
    # The server's outbox is shared by the module's tests: an earlier call's "text me this"
    # may show up here too, so only the replies to this page's texts are read.
    replies = page.locator("#messages li.in").filter(has_not_text="sent during the call")
    page.fill("#sms-input", "sintomas")
    page.keyboard.press("Enter")
    reply = replies.filter(has_text=spanish.topic("symptoms").summary)
    reply.wait_for(timeout=10000)
    assert "segment" in reply.inner_text()
    page.fill("#sms-input", "MAS")
    page.keyboard.press("Enter")
    more = replies.nth(1)  # the second reply: the first part
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


def whatsapp(page, text: str) -> None:  # type: ignore[no-untyped-def]
    page.fill("#wa-input", text)
    page.press("#wa-input", "Enter")


@pytest.mark.parametrize("width", [1200, 320])
def test_whatsapp_mode_plays_answers_and_stays_accessible(  # type: ignore[no-untyped-def]
    page, tmp_path: Path, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    english, spanish = CONTENT["en"], CONTENT["es"]
    whatsapp(page, "5")
    players = page.locator("#wa-messages audio")
    players.nth(len(english.topic("symptoms").parts) - 1).wait_for(timeout=15000)
    first = players.first
    assert first.get_attribute("preload") == "none"
    assert first.get_attribute("controls") is not None
    assert "/audio/en/topic.symptoms.1-" in (first.get_attribute("src") or "")
    assert (
        first.get_attribute("aria-label") == english.topic("symptoms").parts[0].split(". ")[0] + "."
    )
    assert not any("/audio/" in url for url in page.fetched)  # nothing loads before play
    page.locator("#wa-messages li.in", has_text=english.topic("symptoms").title).wait_for()
    # LENTO: the slower recordings, in Spanish, marked as Spanish for a screen reader.
    whatsapp(page, "LENTO")
    slow = page.locator("#wa-messages li[lang=es] audio[src*='-slow-']")
    slow.first.wait_for(timeout=15000)
    assert "/audio/es/topic.symptoms.1-slow-" in (slow.first.get_attribute("src") or "")
    page.locator("#wa-messages li.in[lang=es]", has_text=spanish.prompt("sms_wa_slow")).wait_for()
    page.click("#wa-voice")
    page.locator("#wa-messages li.in", has_text=spanish.prompt("sms_media_voice")).wait_for()
    page.click("#wa-location")
    page.locator("#wa-messages li.in", has_text=spanish.prompt("sms_media_location")).wait_for()
    # The list overflows by now: axe checks it (scrollable regions must be reachable by keys).
    assert page.evaluate(
        "(() => { const l = document.getElementById('wa-messages');"
        " return l.scrollHeight > l.clientHeight; })()"
    )
    # The players fit the conversation at any width (the page's grid at 320 px: issue 16, part 3).
    assert page.evaluate(
        "(() => { const l = document.getElementById('wa-messages');"
        " return l.scrollWidth <= l.clientWidth; })()"
    )
    page.screenshot(path=str(tmp_path / f"whatsapp-{width}.png"), full_page=True)
    page.add_script_tag(content=axe_source())
    results = page.evaluate("async () => await axe.run(document)")
    (tmp_path / "axe.json").write_text(json.dumps(results["violations"], indent=2))
    assert [(v["id"], len(v["nodes"])) for v in results["violations"]] == []
