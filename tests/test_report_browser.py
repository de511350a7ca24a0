"""/report in a real browser: `ivr serve` opens it with a password, `ivr demo-traffic` fills it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .browser import CHROMIUM_ARGS, ROOT, axe_source, chromium_path, running_line

# Where to keep a screenshot of the page (the README's is made this way); none by default.
SCREENSHOT = os.environ.get("IVR_REPORT_SCREENSHOT", "")


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A line run as a newcomer runs it, filled by demo-traffic: its URL and report password."""
    instance = tmp_path_factory.mktemp("report") / "instance"
    with running_line(instance) as url:
        printed = (instance.parent / "serve.log").read_text()
        password = re.search(r"/report \(any user name, password (\S+)\)", printed)
        assert password, printed
        command = [sys.executable, "-c", "from ivr.cli import main; main()", "demo-traffic"]
        env = {"IVR_INSTANCE_DIR": str(instance), "PATH": "/usr/bin:/bin"}
        result = subprocess.run(
            [*command, "--url", url, "--calls", "60", "--texts", "120"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Sent 60 calls and 120 texts; 0 failed." in result.stdout
        yield url, password.group(1)


@pytest.fixture(scope="module")
def browser(line: tuple[str, str]) -> Iterator[object]:
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, line: tuple[str, str]):  # type: ignore[no-untyped-def]
    url, password = line
    context = browser.new_context(
        viewport={"width": 1100, "height": 900},
        http_credentials={"username": "report", "password": password},
    )
    page = context.new_page()
    page.fetched = []
    page.on("request", lambda request: page.fetched.append(request.url))
    page.goto(url + "/report")
    yield page
    context.close()


def test_the_page_shows_each_chart_then_its_table(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.documentElement.lang") == "en"
    sections = page.locator("main section")
    charts = page.locator("main section svg[role=img]")
    assert charts.count() == sections.count() - 1  # every table but the words has a chart
    for n in range(charts.count()):
        chart = charts.nth(n)
        assert chart.get_attribute("aria-labelledby")
        # The chart's own figures follow it as a table.
        following = chart.evaluate("svg => svg.nextElementSibling.querySelector('table') !== null")
        assert following
    waterfall = page.locator("#waterfall table").inner_text()
    assert "Main menu" in waterfall and "Reached" in waterfall
    assert all(url.startswith(page.url.split("/report")[0]) for url in page.fetched)


def test_no_count_under_11_is_on_the_page(page) -> None:  # type: ignore[no-untyped-def]
    cells = page.locator("main td").all_inner_texts()
    assert cells
    for cell in cells:
        if cell not in ("<11", "withheld", "0", "–") and not cell.endswith("%"):
            assert int(cell.replace(",", "")) >= 11, cell


def test_keyboard_alone(page) -> None:  # type: ignore[no-untyped-def]
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the report"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('main') !== null")
    assert focused
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"


def test_dates_from_the_form(page) -> None:  # type: ignore[no-untyped-def]
    page.fill("#since", "2026-01-01")
    page.fill("#until", "2026-01-31")
    page.click("button[type=submit]")
    page.locator("main p", has_text="From 2026-01-01 to 2026-01-31").wait_for()


def test_no_accessibility_violations(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.add_script_tag(content=axe_source())
    results = page.evaluate("async () => await axe.run(document)")
    violations = [(v["id"], v["help"], len(v["nodes"])) for v in results["violations"]]
    (tmp_path / "axe.json").write_text(json.dumps(results["violations"], indent=2))
    if SCREENSHOT:
        page.screenshot(path=SCREENSHOT, full_page=False)
    assert violations == []
