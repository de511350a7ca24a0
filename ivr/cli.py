"""The `ivr` command: a thin layer over functions the tests also call."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import click

from ivr.config import REPO_ROOT, Settings, SettingsError
from ivr.content import CONTENT_DIR, LANGUAGES, Content, ContentError, load_content
from ivr.sms.replies import SEGMENT_BUDGET, ReplySize, reply_sizes

LOCAL_TOKEN_FILE = "local-auth-token"


@dataclass
class Report:
    """The result of `ivr check`: lines to print and whether anything was wrong."""

    lines: list[str] = field(default_factory=list)
    problems: int = 0

    def ok(self, text: str) -> None:
        self.lines.append(f"ok    {text}")

    def fail(self, text: str) -> None:
        self.lines.append(f"FAIL  {text}")
        self.problems += 1


def local_settings(environ: Mapping[str, str], host: str, port: int) -> dict[str, str]:
    """Environment for a local line: the given variables, plus a made-up token and local URL."""
    env = dict(environ)
    env.setdefault("IVR_PUBLIC_URL", f"http://{host}:{port}")
    if not env.get("IVR_TWILIO_AUTH_TOKEN"):
        instance = Path(env.get("IVR_INSTANCE_DIR", REPO_ROOT / "instance"))
        instance.mkdir(parents=True, exist_ok=True)
        token = secrets.token_hex(16)
        # Kept so that `ivr call` and `ivr text` can sign requests to this server.
        (instance / LOCAL_TOKEN_FILE).write_text(token)
        env["IVR_TWILIO_AUTH_TOKEN"] = token
    return env


def check(environ: Mapping[str, str], production: bool = False) -> Report:
    """Validate settings and content; the report lists every problem."""
    report = Report()
    env = dict(environ)
    if not production:
        env.setdefault("IVR_PUBLIC_URL", "http://127.0.0.1:5000")
        env.setdefault("IVR_TWILIO_AUTH_TOKEN", "made-up-by-ivr-serve")
    settings = None
    try:
        settings = Settings.load(env)
    except SettingsError as error:
        report.fail(f"settings: {error}")
    else:
        database = settings.resolved_database_url().split("://")[0]
        report.ok(f"settings: public URL {settings.public_url}, database {database}")
    try:
        content = load_content(settings.content_dir if settings else CONTENT_DIR)
    except ContentError as error:
        for problem in error.problems:
            report.fail(f"content: {problem}")
    else:
        for code in LANGUAGES:
            language = content[code]
            parts = sum(len(topic.parts) for topic in language.topics)
            report.ok(
                f"content {code}: {len(language.topics)} topics ({parts} spoken parts), "
                f"{len(language.cancers)} cancer types, {len(language.prompts)} prompts"
            )
        _check_sms_sizes(report, content)
    return report


def _check_sms_sizes(report: Report, content: Content) -> None:
    """One line per fixed text reply and summary, and per answer sent in parts, with sizes."""
    try:
        sizes = reply_sizes(content)
    except ContentError as error:
        for problem in error.problems:
            report.fail(f"sms: {problem}")
        return
    parts: dict[tuple[str, str], list[ReplySize]] = {}
    for reply in sizes:
        if reply.part:
            parts.setdefault((reply.language, reply.part), []).append(reply)
        else:
            _size_line(report, f"sms {reply.language} {reply.name}", [reply])
    for (code, topic), pages in parts.items():
        _size_line(report, f"sms {code} {topic}, full answer in {len(pages)} part(s)", pages)


def _size_line(report: Report, label: str, replies: list[ReplySize]) -> None:
    largest = max(replies, key=lambda reply: (reply.size.count, reply.size.units))
    encodings = "/".join(sorted({reply.size.encoding for reply in replies}))
    budget = SEGMENT_BUDGET[largest.language]
    text = (
        f"{label}: {'at most ' if len(replies) > 1 else ''}{largest.size.count} "
        f"segment(s), {encodings}, {largest.size.units} characters (budget {budget} segments)"
    )
    if all(reply.ok for reply in replies):
        report.ok(text)
    else:
        over = ", ".join(reply.name for reply in replies if not reply.ok)
        report.fail(f"{text}: over budget or outside GSM-7: {over}")


@click.group()
def main() -> None:
    """The metastatic cancer information line."""


@main.command("check")
@click.option("--production", is_flag=True, help="Also require the settings production needs.")
def check_command(production: bool) -> None:
    """Validate settings and content, print a short report, exit non-zero on any problem."""
    report = check(os.environ, production=production)
    for line in report.lines:
        click.echo(line)
    if report.problems:
        click.echo(f"{report.problems} problem(s) found.", err=True)
        sys.exit(1)
    click.echo("All checks passed.")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
def serve_command(host: str, port: int, workers: int) -> None:
    """Run the line locally under gunicorn, with embedded defaults."""
    from ivr.server import serve

    env = local_settings(os.environ, host, port)
    made_up = not os.environ.get("IVR_TWILIO_AUTH_TOKEN")
    os.environ.update(env)
    try:
        from ivr import create_app

        app = create_app()
    except (SettingsError, ContentError) as error:
        raise click.ClickException(str(error)) from None
    if made_up:
        click.echo(
            "No IVR_TWILIO_AUTH_TOKEN was set; this server signs with "
            + env["IVR_TWILIO_AUTH_TOKEN"]
        )
    click.echo(f"The line is listening on {env['IVR_PUBLIC_URL']} (health: /healthz).")
    serve(app, host, port, workers)
