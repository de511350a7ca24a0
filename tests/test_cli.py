"""The ivr command: check reports problems and exits non-zero; serve makes up a token."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ivr.audio.catalogue import wanted_recordings
from ivr.check import check
from ivr.cli import LOCAL_TOKEN_FILE, local_settings, main
from ivr.content import CONTENT_DIR, load_content


def test_check_reports_both_languages_complete() -> None:
    result = CliRunner().invoke(main, ["check"], env={})
    assert result.exit_code == 0, result.output
    assert "content en: 9 topics" in result.output
    assert "content es: 9 topics" in result.output
    wanted = len(wanted_recordings(load_content()))
    assert f"ok    audio: all {wanted} recordings current in " in result.output
    assert "All checks passed." in result.output


def test_check_lists_missing_and_stale_audio_without_failing(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check"], env={"IVR_AUDIO_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert "WARN  audio: no manifest.json" in result.output
    wanted = len(wanted_recordings(load_content()))
    assert f"WARN  audio: {wanted} recording(s) missing: en:credit, " in result.output
    assert f"and {wanted - 10} more; run `ivr build-audio`" in result.output


def test_check_production_needs_token_and_url() -> None:
    report = check({}, production=True)
    assert report.problems == 1
    assert "IVR_TWILIO_AUTH_TOKEN must be set." in report.lines[0]
    result = CliRunner().invoke(main, ["check", "--production"], env={})
    assert result.exit_code == 1


def test_check_reports_bad_setting() -> None:
    report = check({"IVR_TRUST_PROXY": "perhaps"})
    assert report.problems == 1
    assert any("IVR_TRUST_PROXY" in line for line in report.lines)


def test_check_reports_broken_content(tmp_path: Path) -> None:
    for code in ("en", "es"):
        data = yaml.safe_load((CONTENT_DIR / f"{code}.yaml").read_text(encoding="utf-8"))
        if code == "es":
            data["topics"][4]["summary"] = ""
        (tmp_path / f"{code}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    result = CliRunner().invoke(main, ["check"], env={"IVR_CONTENT_DIR": str(tmp_path)})
    assert result.exit_code == 1
    assert "FAIL  content: es.yaml: topic symptoms: 'summary' is missing or empty." in result.output


def test_check_lists_every_text_reply_with_its_size() -> None:
    report = check({})
    assert report.problems == 0, report.lines
    text = "\n".join(report.lines)
    assert "ok    sms en menu: 2 segment(s), GSM-7" in text
    assert "ok    sms es summary symptoms: 3 segment(s), UCS-2" in text
    assert "ok    sms en sites uterus:" in text
    assert "ok    sms es how-spread, full answer in " in text
    # 21 fixed replies (3 limit notices, the CIS number, SLOW, 4 kinds of media), a line for
    # every "Did you mean", 9 summaries, 12 cancer types' sites, 9 answers in parts.
    assert sum(line.startswith("ok    sms ") for line in report.lines) == 2 * (21 + 1 + 9 + 12 + 9)


def test_check_fails_a_reply_over_budget(tmp_path: Path) -> None:
    for code in ("en", "es"):
        data = yaml.safe_load((CONTENT_DIR / f"{code}.yaml").read_text(encoding="utf-8"))
        if code == "en":
            data["prompts"]["sms_help"] = "Help \u2013 with a dash outside GSM-7."
        (tmp_path / f"{code}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    result = CliRunner().invoke(main, ["check"], env={"IVR_CONTENT_DIR": str(tmp_path)})
    assert result.exit_code == 1
    assert "FAIL  sms en help: 1 segment(s), UCS-2" in result.output


def test_local_settings_make_up_and_keep_a_token(tmp_path: Path) -> None:
    env = local_settings({"IVR_INSTANCE_DIR": str(tmp_path)}, "127.0.0.1", 5050)
    assert env["IVR_PUBLIC_URL"] == "http://127.0.0.1:5050"
    assert len(env["IVR_TWILIO_AUTH_TOKEN"]) == 32
    assert (tmp_path / LOCAL_TOKEN_FILE).read_text() == env["IVR_TWILIO_AUTH_TOKEN"]
    kept = local_settings({"IVR_TWILIO_AUTH_TOKEN": "mine"}, "127.0.0.1", 5050)
    assert kept["IVR_TWILIO_AUTH_TOKEN"] == "mine"


@pytest.mark.parametrize("url", ["https://public.example.org"])
def test_local_settings_keep_a_given_url(url: str) -> None:
    env = local_settings({"IVR_PUBLIC_URL": url, "IVR_TWILIO_AUTH_TOKEN": "x"}, "0.0.0.0", 1)
    assert env["IVR_PUBLIC_URL"] == url
