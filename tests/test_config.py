"""Settings: environment first, then the mapping passed in; one clear sentence per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr import create_app
from ivr.config import CIS_NUMBER, Settings, SettingsError

BASE = {"IVR_TWILIO_AUTH_TOKEN": "t", "IVR_PUBLIC_URL": "https://line.example.org"}


def test_defaults() -> None:
    settings = Settings.load(BASE)
    assert settings.transfer_number == CIS_NUMBER == "+18004226237"
    assert settings.trust_proxy is False
    assert settings.gather_timeout >= 8
    assert settings.audio_dir.name == "audio"
    assert settings.resolved_database_url().endswith("instance/ivr.sqlite3")
    assert not settings.sms_sending_enabled
    assert settings.sms_rate_limit == "10/minute;100/day"
    assert settings.ratelimit_storage_url == "memory://"


def test_mapping_overrides_environment() -> None:
    settings = Settings.load(BASE, {"PUBLIC_URL": "https://other.example.org/"})
    assert settings.public_url == "https://other.example.org"


def test_environment_is_read_with_prefix_and_types() -> None:
    env = BASE | {"IVR_TRUST_PROXY": "yes", "IVR_GATHER_TIMEOUT": "12", "IVR_AUDIO_DIR": "/tmp/a"}
    settings = Settings.load(env)
    assert settings.trust_proxy is True
    assert settings.gather_timeout == 12
    assert settings.audio_dir == Path("/tmp/a")


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"IVR_PUBLIC_URL": "https://x.org"}, "IVR_TWILIO_AUTH_TOKEN"),
        ({"IVR_TWILIO_AUTH_TOKEN": "t"}, "IVR_PUBLIC_URL"),
        (BASE | {"IVR_PUBLIC_URL": "line.example.org"}, "IVR_PUBLIC_URL"),
        (BASE | {"IVR_PUBLIC_URL": "ftp://line.example.org"}, "IVR_PUBLIC_URL"),
        (BASE | {"IVR_TRUST_PROXY": "maybe"}, "IVR_TRUST_PROXY"),
        (BASE | {"IVR_TRANSFER_NUMBER": "1-800-4-CANCER"}, "IVR_TRANSFER_NUMBER"),
        (BASE | {"IVR_GATHER_TIMEOUT": "soon"}, "IVR_GATHER_TIMEOUT"),
        (BASE | {"IVR_GATHER_TIMEOUT": "1"}, "IVR_GATHER_TIMEOUT"),
        (BASE | {"IVR_DATABASE_URL": "ivr.sqlite3"}, "IVR_DATABASE_URL"),
        (BASE | {"IVR_DATABASE_URL": "mysql://localhost/ivr"}, "IVR_DATABASE_URL"),
        (BASE | {"IVR_AUDIO_ENGINES": "polly"}, "IVR_AUDIO_ENGINES"),
        (BASE | {"IVR_AUDIO_BASE_URL": "cdn"}, "IVR_AUDIO_BASE_URL"),
        (BASE | {"IVR_TWILIO_ACCOUNT_SID": "AC" + "0" * 32}, "IVR_TWILIO_FROM"),
        (
            BASE | {"IVR_TWILIO_ACCOUNT_SID": "nope", "IVR_TWILIO_FROM": "+15550001111"},
            "IVR_TWILIO_ACCOUNT_SID",
        ),
        (BASE | {"IVR_SMS_RATE_LIMIT": "ten a minute"}, "IVR_SMS_RATE_LIMIT"),
        (BASE | {"IVR_RATELIMIT_STORAGE_URL": "mongodb://db"}, "IVR_RATELIMIT_STORAGE_URL"),
        (BASE | {"IVR_RATELIMIT_STORAGE_URL": "localhost:6379"}, "IVR_RATELIMIT_STORAGE_URL"),
    ],
)
def test_bad_setting_names_the_variable_in_one_sentence(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.load(env)
    message = str(error.value)
    assert variable in message
    assert message.endswith(".") and "\n" not in message


def test_rate_limit_settings_are_read() -> None:
    env = BASE | {
        "IVR_SMS_RATE_LIMIT": " 3/minute ",
        "IVR_RATELIMIT_STORAGE_URL": "redis://cache.internal:6379/0",
    }
    settings = Settings.load(env)
    assert settings.sms_rate_limit == "3/minute"
    assert settings.ratelimit_storage_url == "redis://cache.internal:6379/0"
    blank = Settings.load(BASE | {"IVR_SMS_RATE_LIMIT": "", "IVR_RATELIMIT_STORAGE_URL": ""})
    assert (blank.sms_rate_limit, blank.ratelimit_storage_url) == ("10/minute;100/day", "memory://")


def test_unknown_setting_in_mapping_is_refused() -> None:
    with pytest.raises(SettingsError, match="IVR_PUBLIC_ULR"):
        Settings.load(BASE, {"PUBLIC_ULR": "https://typo.example.org"})


def test_create_app_stops_on_missing_token(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="IVR_TWILIO_AUTH_TOKEN"):
        create_app({"PUBLIC_URL": "https://x.org", "INSTANCE_DIR": str(tmp_path)})


def test_create_app_reads_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("IVR_TWILIO_AUTH_TOKEN", "from-env")
    monkeypatch.setenv("IVR_PUBLIC_URL", "https://env.example.org")
    monkeypatch.setenv("IVR_INSTANCE_DIR", str(tmp_path))
    app = create_app()
    assert app.extensions["ivr"].settings.public_url == "https://env.example.org"
    assert (tmp_path / "ivr.sqlite3").exists()
