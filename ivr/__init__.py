"""A bilingual voice and SMS information line for the NCI fact sheet "Metastatic Cancer".

`from ivr import create_app` loads the web application; importing `ivr` alone, or its pure
parts (content, the call flow, keywords and replies), loads neither Flask nor SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ivr.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    """create_app, imported only when it is asked for."""
    if name == "create_app":
        from ivr.app import create_app

        return create_app
    raise AttributeError(f"module 'ivr' has no attribute {name!r}")
