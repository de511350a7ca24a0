"""The simulator in a real browser: call, press through to an answer, text, and check access."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ivr.content import load_content

from .browser import axe_violations, running_instance

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
    heard(page, "What metastatic cancer is, press 1")
    page.click(".key[data-key='4']")
    heard(page, "Where cancer spreads, press 1")
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
    assert "You press 4." in transcript and "You say: prostate" in transcript
    assert ".mp3" not in transcript and "en/" not in transcript  # what is heard, not files
    assert any("/voice" in url for url in page.fetched)
    recordings = [url for url in page.fetched if "/audio/en/" in url]
    assert any("topic.where-spread.title" in url for url in recordings), recordings


def test_spanish_and_text_me_this(page) -> None:  # type: ignore[no-untyped-def]
    spanish = CONTENT["es"]
    page.click("#call")
    heard(page, spanish.prompts["voice_choose_language"])
    page.keyboard.press("2")
    heard(page, "Síntomas, oprima 2")
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
    heard(page, "What metastatic cancer is, press 1")
    page.keyboard.press("#")
    page.keyboard.press("Enter")  # on "Hang up"
    page.locator("#call-status", has_text="Not in a call").wait_for()
    assert page.evaluate("document.activeElement.id") == "call"


def overflowing(page, selector: str) -> bool:  # type: ignore[no-untyped-def]
    return bool(page.eval_on_selector(selector, "list => list.scrollHeight > list.clientHeight"))


def test_axe_clean_in_every_state(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    states = {"before a call": axe_violations(page)}
    page.click("#call")
    heard(page, "For English")
    states["in a call"] = axe_violations(page)
    page.keyboard.press("2")
    heard(page, "Síntomas, oprima 2")
    page.keyboard.press("2")
    heard(page, CONTENT["es"].topic("symptoms").parts[0])
    page.keyboard.press("0")
    page.locator("#dial-text").wait_for()
    states["transferring"] = axe_violations(page)
    page.keyboard.press("Enter")  # on "The person answered, then hung up"
    heard(page, "The person answered")
    assert overflowing(page, "#transcript")
    states["transcript overflowing"] = axe_violations(page)
    page.locator("#call-status", has_text="Not in a call").wait_for()  # the line hung up
    states["after the call"] = axe_violations(page)
    for body in ("sintomas", "MAS", "MAS", "HELP", "STOP", "menu"):
        send(page, body)
    page.locator("#messages li.note").first.wait_for(timeout=10000)
    assert overflowing(page, "#messages")
    states["messages overflowing"] = axe_violations(page)
    (tmp_path / "axe.json").write_text(json.dumps(states, indent=2))
    assert states == {state: [] for state in states}


def test_320_px_wide(page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.click("#call")
    heard(page, "For English")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert axe_violations(page) == []


def test_the_keypad_works_only_in_a_call(page) -> None:  # type: ignore[no-untyped-def]
    keys = page.locator(".key")
    assert all(keys.nth(i).is_disabled() for i in range(keys.count()))
    assert page.locator("#keypad-hint").is_visible() and page.locator("#say-input").is_disabled()
    page.click("#call")
    heard(page, "For English")
    assert keys.first.is_enabled() and page.locator("#say-input").is_enabled()
    assert not page.locator("#keypad-hint").is_visible()
    page.click("#hangup")
    assert keys.first.is_disabled()


def test_announcements_are_the_words_in_their_language(page) -> None:  # type: ignore[no-untyped-def]
    spanish = CONTENT["es"]
    page.click("#call")
    heard(page, spanish.prompts["voice_choose_language"])
    page.keyboard.press("2")
    heard(page, "Síntomas, oprima 2")
    said = page.locator("#transcript li span", has_text="Síntomas, oprima 2")
    assert said.get_attribute("lang") == "es"
    english = page.locator("#transcript li span", has_text="For English").first
    assert english.get_attribute("lang") == "en"
    assert ".mp3" not in page.inner_text("#transcript")


def test_focus_never_falls_to_the_page(page) -> None:  # type: ignore[no-untyped-def]
    def focused() -> str:
        return str(page.evaluate("document.activeElement.id || document.activeElement.textContent"))

    page.click("#call")
    heard(page, "For English")
    page.keyboard.press("1")
    heard(page, "What metastatic cancer is, press 1")
    page.keyboard.press("0")
    page.locator("#dial-text").wait_for()
    assert focused() == "The person answered, then hung up"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # "No one answered": the choice disappears
    heard(page, CONTENT["en"].prompts["voice_transfer_failed"])
    assert focused() == "hangup"
    # The line fails: the call ends, and focus leaves the keypad (now off) for "Call the line".
    page.route("**/voice**", lambda route: route.fulfill(status=500, body="error"))
    page.click(".key[data-key='2']")
    page.locator("#call-status", has_text="The line answered 500").wait_for()
    assert focused() == "call"
    page.unroute("**/voice**")
    page.keyboard.press("Enter")  # calls again, as a returning caller
    heard(page, "press 1")
    page.focus("#say-input")
    page.fill("#say-input", "goodbye")
    page.keyboard.press("Enter")
    page.locator("#call-status", has_text="Not in a call").wait_for(timeout=15000)
    assert focused() == "call"


def send(page, body: str) -> None:  # type: ignore[no-untyped-def]
    count = page.locator("#messages li:not(.out)").count()
    page.fill("#sms-input", body)
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"document.querySelectorAll('#messages li:not(.out)').length > {count}", timeout=10000
    )
    page.wait_for_timeout(300)  # Twilio's reply, if any, comes with the line's


def test_twilios_own_replies_and_plain_silences(page) -> None:  # type: ignore[no-untyped-def]
    english = CONTENT["en"]
    send(page, "HELP")
    twilio = page.locator("#messages li.carrier")
    assert english.prompt("sms_twilio_help") in twilio.last.inner_text()
    assert "Twilio" in twilio.last.locator(".who").inner_text()
    page.locator("#messages li.in", has_text=english.prompt("sms_help")).wait_for()
    send(page, "STOP")
    assert english.prompt("sms_twilio_stop") in twilio.last.inner_text()
    page.locator("#messages li.note", has_text="Twilio confirmed the opt-out").wait_for()
    send(page, "symptoms")
    page.locator("#messages li.note", has_text="this number opted out").wait_for()
    send(page, "START")
    assert english.prompt("sms_twilio_start") in twilio.last.inner_text()
    assert "(no reply)" not in page.inner_text("#messages")
    for _ in range(12):  # the rest of the line's 10 a minute, its notice, then silence
        send(page, "menu")
    page.locator("#messages li.note", has_text="over the line's rate limit").first.wait_for()


def test_texting_from_the_page(page) -> None:  # type: ignore[no-untyped-def]
    spanish = CONTENT["es"]
    page.fill("#sms-input", "sintomas")
    page.keyboard.press("Enter")
    reply = page.locator("#messages li.in", has_text=spanish.topic("symptoms").summary)
    reply.wait_for(timeout=10000)
    assert "segment" in reply.inner_text()  # shown ...
    assert spanish.topic("symptoms").summary in reply.locator("span[lang=es]").inner_text()
    announced = page.inner_text("#sms-announcer")
    assert (
        spanish.topic("symptoms").summary in announced and "segment" not in announced
    )  # ... not said
    assert page.get_attribute("#messages", "aria-live") is None
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
