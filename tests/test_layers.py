"""Layers point one way: the domain loads no web, database, Twilio or wiring code.

pyproject.toml's import contracts (lint-imports, run by scripts/test) check the import
statements; these tests check what a fresh interpreter actually loads.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# Module name prefixes the content must never load: Flask, SQLAlchemy, and the channels above it.
FORBIDDEN = ("flask", "sqlalchemy", "ivr.sms", "ivr.store")
# What no part of the domain may load.
FORBIDDEN_TO_DOMAIN = ("flask", "werkzeug", "sqlalchemy", "alembic", "twilio", "ivr.store")
DOMAIN = (
    "ivr.voice.flow",
    "ivr.voice.codec",
    "ivr.sms.conversation",
    "ivr.sms.replies",
    "ivr.sms.keywords",
    "ivr.sms.whatsapp",
    "ivr.events",
    "ivr.language",
    "ivr.concerns",
    "ivr.voice.steps",
    "ivr.report.suppress",
    "ivr.report.figures",
)

# Stands in for the `ivr` package without running its __init__, so only the content's own
# imports are counted.
_WITHOUT_PACKAGE_INIT = """
import types
ivr = types.ModuleType("ivr")
ivr.__path__ = [{package!r}]
sys.modules["ivr"] = ivr
"""


def _loaded_after(
    module: str, skip_package_init: bool, forbidden: tuple[str, ...] = FORBIDDEN
) -> list[str]:
    """The forbidden modules a fresh interpreter holds after importing module."""
    setup = _WITHOUT_PACKAGE_INIT.format(package=str(REPO_ROOT / "ivr"))
    code = (
        "import json, sys\n"
        + (setup if skip_package_init else "")
        + f"import {module}\n"
        + f"print(json.dumps([m for m in sys.modules if m.startswith({forbidden!r})]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return sorted(json.loads(result.stdout))


def test_content_package_imports_no_web_database_or_sms_code() -> None:
    assert _loaded_after("ivr.content", skip_package_init=True) == []


def test_importing_content_loads_no_web_database_or_sms_code() -> None:
    assert _loaded_after("ivr.content", skip_package_init=False) == []


@pytest.mark.parametrize("module", DOMAIN)
def test_the_domain_loads_no_web_database_or_twilio_code(module: str) -> None:
    assert _loaded_after(module, skip_package_init=False, forbidden=FORBIDDEN_TO_DOMAIN) == []
