"""Layers point one way: the content package imports no web, database or SMS code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# Module name prefixes the content must never load: Flask, SQLAlchemy, and the channels above it.
FORBIDDEN = ("flask", "sqlalchemy", "ivr.sms", "ivr.store")

# Stands in for the `ivr` package without running its __init__, so only the content's own
# imports are counted.
_WITHOUT_PACKAGE_INIT = """
import types
ivr = types.ModuleType("ivr")
ivr.__path__ = [{package!r}]
sys.modules["ivr"] = ivr
"""


def _loaded_after(module: str, skip_package_init: bool) -> list[str]:
    """The forbidden modules a fresh interpreter holds after importing module."""
    setup = _WITHOUT_PACKAGE_INIT.format(package=str(REPO_ROOT / "ivr"))
    code = (
        "import json, sys\n"
        + (setup if skip_package_init else "")
        + f"import {module}\n"
        + f"print(json.dumps([m for m in sys.modules if m.startswith({FORBIDDEN!r})]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return sorted(json.loads(result.stdout))


def test_content_package_imports_no_web_database_or_sms_code() -> None:
    assert _loaded_after("ivr.content", skip_package_init=True) == []


def test_importing_content_loads_no_web_database_or_sms_code() -> None:
    assert _loaded_after("ivr.content", skip_package_init=False) == []
