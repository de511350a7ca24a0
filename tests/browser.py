"""A real line under gunicorn and Debian's Chromium driven by Playwright, for browser tests.

The fixtures that start them, `base_url` and `browser`, are in conftest.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ivr.loopback import free_port

ROOT = Path(__file__).resolve().parent.parent
AXE_JS = Path(os.environ.get("IVR_AXE_JS", ROOT / ".cache/axe/node_modules/axe-core/axe.min.js"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def chromium_path() -> str:
    """Debian's Chromium, or skip (fail in CI, where .ci/run installs it) with the reason."""
    path = os.environ.get("IVR_CHROMIUM") or shutil.which("chromium") or ""
    if not path:
        reason = "Chromium is not installed (apt-get install chromium); .ci/run installs it"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def axe_source() -> str:
    """axe-core's script, installed from npm by scripts/test, or skip with the reason."""
    if not AXE_JS.is_file():
        reason = f"axe-core is not installed at {AXE_JS} (scripts/test installs it with npm)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return AXE_JS.read_text(encoding="utf-8")


def answers(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> bool:
    """Wait until url answers; False if the process serving it exits or time runs out first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return True
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.1)


@contextmanager
def running_line(instance: Path) -> Iterator[str]:
    """`ivr serve` on a free loopback port, as a newcomer runs it; yields its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVR_")}
    env["IVR_INSTANCE_DIR"] = str(instance)
    command = [
        sys.executable,
        "-c",
        "from ivr.cli import main; main()",
        "serve",
        "--port",
        str(port),
    ]
    log = (instance.parent / "serve.log").open("w")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        if not answers(base + "/healthz", process):
            raise RuntimeError((instance.parent / "serve.log").read_text())
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def axe_violations(page: object) -> list[tuple[str, str, int]]:
    """Run axe-core on the page as it is now: each violation's id, help and count of nodes."""
    if not page.evaluate("typeof axe !== 'undefined'"):  # type: ignore[attr-defined]
        page.add_script_tag(content=axe_source())  # type: ignore[attr-defined]
    results = page.evaluate("async () => await axe.run(document)")  # type: ignore[attr-defined]
    return [(v["id"], v["help"], len(v["nodes"])) for v in results["violations"]]


INSTANCES: dict[str, Path] = {}


def running_instance(base_url: str) -> Path:
    """The instance folder of the server at base_url (where it keeps its made-up token)."""
    return INSTANCES[base_url]
