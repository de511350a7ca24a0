"""A call's state in its action URL: written as short query parameters, read back safely.

Anything unknown or malformed in a URL falls back to a safe place, never an error: Twilio only
ever sends back what the line wrote, so anything else is tampering or a changed content file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any

from ivr.content import Content, LanguageContent
from ivr.voice.menus import page_count
from ivr.voice.protocol import CallState, MenuId, Place

_DEFAULTS: Mapping[str, Any] = {f.name: getattr(CallState(), f.name) for f in fields(CallState)}
MAX_QUIET = 9


def to_query(state: CallState) -> dict[str, str]:
    """The state as URL query parameters (defaults left out, to keep URLs short)."""
    out = {}
    for name, default in _DEFAULTS.items():
        value = getattr(state, name)
        if value != default:
            out[name] = str(int(value)) if isinstance(value, bool) else str(value)
    return out


def from_query(query: Mapping[str, str], content: Content) -> CallState:
    """Read a state back; anything unknown or malformed falls back to a safe default."""
    values: dict[str, Any] = {}
    for name, default in _DEFAULTS.items():
        raw = query.get(name)
        if raw is None:
            continue
        if isinstance(default, bool):
            values[name] = raw == "1"
        elif isinstance(default, int):
            values[name] = int(raw) if raw.isdigit() and len(raw) < 4 else default
        else:
            values[name] = raw[:40]
    lang = values.pop("lang", "")
    place = _member(Place, values.pop("at", Place.WELCOME))
    menu = _member(MenuId, values.pop("menu", MenuId.MAIN))
    resume = _member(Place, values.pop("resume", Place.MENU))
    if resume in (None, Place.WELCOME, Place.NO_ANSWER):
        resume = Place.MENU  # only a place a caller can be put back in
    if lang not in content.languages:
        return CallState(quiet=min(values.get("quiet", 0), MAX_QUIET))
    if place is None or place is Place.WELCOME or menu is None:
        return CallState(
            lang=lang,
            at=Place.MENU,
            slow=values.get("slow", False),
            tips=values.get("tips", False),
        )
    state = CallState(lang=lang, at=place, menu=menu, resume=resume, **values)
    return _sanitised(state, content[lang])


def _member(kind: type[Place] | type[MenuId], raw: str) -> Any:
    """The enum member whose value is raw, or None."""
    try:
        return kind(raw)
    except ValueError:
        return None


def _sanitised(state: CallState, language: LanguageContent) -> CallState:
    """The state with its topic, part, page and cancer type made ones the content has."""
    topic_ids = {t.id for t in language.topics}
    cancer_ids = {c.id for c in language.cancers}
    if state.at in (Place.ANSWER, Place.ANSWER_END) and state.topic not in topic_ids:
        return replace(state, at=Place.MENU, menu=MenuId.MAIN, topic="")
    if state.resume in (Place.ANSWER, Place.ANSWER_END) and state.topic not in topic_ids:
        state = replace(state, resume=Place.MENU)
    if state.topic:
        parts = len(language.topic(state.topic).parts) if state.topic in topic_ids else 1
        state = replace(state, part=min(max(state.part, 1), parts))
    state = replace(state, page=min(max(state.page, 1), page_count(language)))
    if state.cancer and state.cancer not in cancer_ids:
        state = replace(state, cancer="")
    return state
