"""The listen-online pages in Chromium: axe-core at several widths, no JavaScript, the export."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from ivr.content import load_content
from ivr.loopback import free_port

from .browser import ROOT, answers, axe_violations

CONTENT = load_content()
WIDTHS = (320, 768, 1280)
PAGES = ("/listen/", "/listen/en/", "/listen/es/")


@pytest.fixture
def context(browser):  # type: ignore[no-untyped-def]
    """A browser with JavaScript off: the pages must not need it."""
    context = browser.new_context(java_script_enabled=False)
    yield context
    context.close()


def fits(page) -> bool:  # type: ignore[no-untyped-def]
    """True when nothing makes the page scroll sideways."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= innerWidth"))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", PAGES)
def test_axe_clean_and_reflows(browser, base_url: str, path: str, width: int) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(base_url + path)
    assert fits(page), f"{path} scrolls sideways at {width} px"
    assert axe_violations(page) == []
    page.close()


def test_works_without_javascript_and_plays_on_demand(context, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(base_url + "/listen/es/")
    spanish = CONTENT["es"]
    assert page.title() == spanish.web["listen_title"]
    assert page.locator("audio").count() > 0
    assert not [url for url in fetched if url.endswith(".mp3")]  # preload="none"
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == spanish.web["skip_to_answers"]
    assert skip.bounding_box()["y"] >= 0  # type: ignore[index]  # visible once focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "answers"
    page.get_by_role("link", name=spanish.topic("symptoms").title).click()
    assert page.url.endswith("#symptoms")
    page.get_by_role("link", name="In English").click()
    page.wait_for_url("**/listen/en/")
    assert page.locator("html").get_attribute("lang") == "en"


def test_the_recordings_play(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(base_url + "/listen/en/#symptoms")
    player = page.get_by_label("Part 1, slower").nth(4)  # the fifth answer: symptoms
    with page.expect_response(lambda r: "-slow-" in r.url) as response:
        player.evaluate("audio => audio.play()")
    assert response.value.status in (200, 206)
    duration = player.evaluate(
        "audio => new Promise(ok => audio.readyState > 0 ? ok(audio.duration)"
        " : audio.addEventListener('loadedmetadata', () => ok(audio.duration)))"
    )
    assert duration > 1
    page.close()


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`ivr export-site`, served by Python's plain static file server."""
    folder = tmp_path_factory.mktemp("site")
    command = [sys.executable, "-c", "from ivr.cli import main; main()", "export-site", str(folder)]
    subprocess.run(command, check=True, cwd=ROOT, capture_output=True, timeout=120)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert answers(base + "/index.html", server), "python -m http.server did not start"
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.parametrize("width", (320, 1280))
def test_the_export_on_a_static_server(browser, exported: str, width: int) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(exported + "/")
    page.get_by_role("link", name="En español").click()
    page.wait_for_url("**/es/index.html")
    assert fits(page) and axe_violations(page) == []
    css = page.evaluate("getComputedStyle(document.body).maxWidth")
    assert css != "none"  # the stylesheet came too
    sources = page.eval_on_selector_all("audio", "all => all.map(a => a.src)")
    assert len(sources) == len(set(sources)) > 0
    for source in (sources[0], sources[-1]):
        status = page.evaluate("async url => (await fetch(url)).status", source)
        assert status == 200, source
    page.get_by_role("link", name="In English").click()
    page.wait_for_url("**/en/index.html")
    assert fits(page) and axe_violations(page) == []
    page.close()
