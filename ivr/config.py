"""Settings: read from IVR_* environment variables, then from a mapping a caller passes in."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from limits import parse_many

from ivr.audio.engine_names import ENGINES
from ivr.numbers import E164

PREFIX = "IVR_"
PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
AUDIO_DIR = REPO_ROOT / "audio"
# NCI's Cancer Information Service, 1-800-4-CANCER.
CIS_NUMBER = "+18004226237"
# The 988 Suicide & Crisis Lifeline's ten-digit number, which Twilio can dial and reaches 988.
CRISIS_NUMBER = "+18002738255"
# Replies to one number: enough to page through the longest answer, too few to run up a bill.
DEFAULT_SMS_RATE_LIMIT = "10/minute;100/day"
# MORE, while an answer is paged, counts apart: one every 5 seconds reads any answer to its end.
DEFAULT_SMS_PAGING_LIMIT = "20/minute;200/day"
# How long usage events are kept: a year and a month, so a year can be set against the last.
DEFAULT_EVENT_RETENTION_DAYS = 400
# Where the rate limiter counts: in each worker's memory, or shared in Redis.
_RATELIMIT_SCHEMES = ("memory", "redis", "rediss", "redis+sentinel", "redis+cluster")
DATABASE_SCHEMES = ("sqlite:///", "postgresql://", "postgresql+psycopg://", "postgres://")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingsError(ValueError):
    """A setting is missing or wrong; the message is one sentence naming the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything the line needs to know about where it runs."""

    twilio_auth_token: str
    public_url: str
    trust_proxy: bool = False
    database_url: str = ""
    hash_secret: str = ""
    instance_dir: Path = REPO_ROOT / "instance"
    audio_dir: Path = AUDIO_DIR
    content_dir: Path = PACKAGE_DIR / "content"
    audio_base_url: str = ""
    transfer_number: str = CIS_NUMBER
    crisis_number: str = CRISIS_NUMBER  # where a caller in distress is put through at once
    twilio_account_sid: str = ""
    twilio_from: str = ""
    twilio_api_url: str = "https://api.twilio.com"
    gather_timeout: int = 8
    simulator: bool = False  # the local phone and SMS simulator at /simulator
    # Recordings made by these engines are played; others give way to Twilio's own voice.
    audio_engines: tuple[str, ...] = ENGINES
    sms_rate_limit: str = DEFAULT_SMS_RATE_LIMIT
    sms_paging_limit: str = DEFAULT_SMS_PAGING_LIMIT
    ratelimit_storage_url: str = "memory://"
    # /report answers only when this is set, to HTTP basic auth with this password.
    report_password: str = ""
    # Usage events, their counts and not-understood words older than this are pruned.
    event_retention_days: int = DEFAULT_EVENT_RETENTION_DAYS

    @classmethod
    def load(
        cls, environ: Mapping[str, str], overrides: Mapping[str, Any] | None = None
    ) -> Settings:
        """Read IVR_* variables from environ, let overrides win, and validate the result."""
        raw: dict[str, Any] = {}
        names = {f.name for f in fields(cls)}
        for key, value in environ.items():
            if key.startswith(PREFIX) and key[len(PREFIX) :].lower() in names:
                raw[key[len(PREFIX) :].lower()] = value
        for key, value in (overrides or {}).items():
            name = key[len(PREFIX) :] if key.upper().startswith(PREFIX) else key
            if name.lower() not in names:
                raise SettingsError(f"{_var(name)} is not a setting this line knows.")
            raw[name.lower()] = value
        return cls(**_parse(raw))

    @property
    def sms_sending_enabled(self) -> bool:
        """True when the line may send text messages of its own through Twilio's REST API."""
        return bool(self.twilio_account_sid and self.twilio_from)

    @property
    def audio_url(self) -> str:
        """Where Twilio fetches recordings: IVR_AUDIO_BASE_URL, else this server's /audio."""
        return self.audio_base_url or f"{self.public_url}/audio"

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite under the instance folder."""
        return self.database_url or f"sqlite:///{self.instance_dir / 'ivr.sqlite3'}"


def _var(name: str) -> str:
    return PREFIX + name.upper()


def _listed(names: tuple[str, ...]) -> str:
    """names as a sentence lists them: "a, b and c"."""
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _parse(raw: dict[str, Any]) -> dict[str, Any]:
    """Turn raw strings into typed values, or raise SettingsError naming the variable."""
    out = dict(raw)
    for name in ("twilio_auth_token", "public_url"):
        if not str(out.get(name) or "").strip():
            raise SettingsError(f"{_var(name)} must be set.")
    out["public_url"] = _url(out["public_url"], "public_url")
    if "twilio_api_url" in out:
        out["twilio_api_url"] = _url(out["twilio_api_url"], "twilio_api_url")
    if out.get("audio_base_url"):
        out["audio_base_url"] = _url(out["audio_base_url"], "audio_base_url")
    if "audio_engines" in out:
        engines = out["audio_engines"]
        if isinstance(engines, str):
            engines = tuple(e.strip().lower() for e in engines.split(",") if e.strip())
        if not engines or not set(engines) <= set(ENGINES):
            raise SettingsError(
                f"{_var('audio_engines')} must list some of {_listed(ENGINES)}, "
                f"not {out['audio_engines']!r}."
            )
        out["audio_engines"] = tuple(engines)
    for name in ("trust_proxy", "simulator"):
        if name in out:
            out[name] = _bool(out[name], name)
    for name in ("instance_dir", "audio_dir", "content_dir"):
        if name in out:
            out[name] = Path(out[name]).expanduser().resolve()
    for name in ("transfer_number", "crisis_number", "twilio_from"):
        if out.get(name) and not E164.match(str(out[name])):
            raise SettingsError(
                f"{_var(name)} must be a phone number in E.164 form such as +18004226237."
            )
    if out.get("twilio_account_sid") and not re.fullmatch(
        r"AC[0-9a-fA-F]{32}", str(out["twilio_account_sid"])
    ):
        raise SettingsError(f"{_var('twilio_account_sid')} must look like AC and 32 hex digits.")
    if bool(out.get("twilio_account_sid")) != bool(out.get("twilio_from")):
        raise SettingsError(
            "IVR_TWILIO_ACCOUNT_SID and IVR_TWILIO_FROM must be set together, or neither."
        )
    if "event_retention_days" in out:
        out["event_retention_days"] = _int(
            out["event_retention_days"], "event_retention_days", 1, 3660
        )
    if "gather_timeout" in out:
        out["gather_timeout"] = _int(out["gather_timeout"], "gather_timeout", 3, 60)
    for name in ("sms_rate_limit", "sms_paging_limit"):
        if name in out:
            out[name] = _rates(out[name], name)
    if "ratelimit_storage_url" in out:
        out["ratelimit_storage_url"] = _storage_url(out["ratelimit_storage_url"])
    if out.get("database_url") and not str(out["database_url"]).startswith(DATABASE_SCHEMES):
        raise SettingsError(
            f"{_var('database_url')} must be a sqlite:/// or postgresql:// URL "
            "(PostgreSQL needs pip install 'ivr[postgres]')."
        )
    return out


def _url(value: Any, name: str) -> str:
    text = str(value).strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise SettingsError(f"{_var(name)} must be an http or https URL, not {text!r}.")
    return text


def _bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise SettingsError(f"{_var(name)} must be true or false, not {value!r}.")


def _int(value: Any, name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{_var(name)} must be a whole number, not {value!r}.") from None
    if not low <= number <= high:
        raise SettingsError(f"{_var(name)} must be between {low} and {high}, not {number}.")
    return number


def _rates(value: Any, name: str) -> str:
    defaults = {
        "sms_rate_limit": DEFAULT_SMS_RATE_LIMIT,
        "sms_paging_limit": DEFAULT_SMS_PAGING_LIMIT,
    }
    text = str(value).strip() or defaults[name]
    try:
        parse_many(text)
    except ValueError:
        raise SettingsError(
            f"{_var(name)} must be rates such as 10/minute;100/day, not {value!r}."
        ) from None
    return text


def _storage_url(value: Any) -> str:
    text = str(value).strip() or "memory://"
    if urlsplit(text).scheme not in _RATELIMIT_SCHEMES or "://" not in text:
        raise SettingsError(
            f"{_var('ratelimit_storage_url')} must be memory:// or a redis:// URL, not {text!r}."
        )
    return text
