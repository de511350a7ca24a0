"""The `ivr` command: a thin layer over functions the tests also call."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path

import click
import requests
import sqlalchemy as sa

from ivr.audio.build import build_audio
from ivr.audio.catalogue import label, load_catalogue, wanted_recordings
from ivr.audio.engines import ENGINE_NAMES, EngineError, choose_engines
from ivr.check import check
from ivr.config import AUDIO_DIR, REPO_ROOT, Settings, SettingsError
from ivr.content import CONTENT_DIR, LANGUAGES, Content, ContentError, load_content
from ivr.listen.export import export_site
from ivr.report.formats import FORMATS
from ivr.security import NumberHasher
from ivr.simulator import FAKE_ACCOUNT_SID
from ivr.simulator.terminal import (
    CALLER,
    TerminalCall,
    Webhooks,
    recording_captions,
    text,
    whatsapp,
)
from ivr.store import Store, create_engine, upgrade_schema

LOCAL_TOKEN_FILE = "local-auth-token"


def local_settings(
    environ: Mapping[str, str], host: str, port: int, keep_token: bool = True
) -> dict[str, str]:
    """Environment for a local line: the given variables, plus a made-up token, the local URL,
    the simulator, and outgoing texts caught by the simulator's stand-in for Twilio."""
    env = dict(environ)
    env.setdefault("IVR_PUBLIC_URL", f"http://{host}:{port}")
    # On by default only when the server listens on this machine alone.
    env.setdefault(
        "IVR_SIMULATOR", "true" if host in ("127.0.0.1", "localhost", "::1") else "false"
    )
    if not env.get("IVR_TWILIO_ACCOUNT_SID") and env["IVR_SIMULATOR"].lower() in ("1", "true"):
        env["IVR_TWILIO_ACCOUNT_SID"] = FAKE_ACCOUNT_SID
        env["IVR_TWILIO_FROM"] = "+15555550199"
        env["IVR_TWILIO_API_URL"] = env["IVR_PUBLIC_URL"] + "/simulator/twilio"
    if not env.get("IVR_REPORT_PASSWORD"):
        env["IVR_REPORT_PASSWORD"] = secrets.token_urlsafe(12)
    if not env.get("IVR_TWILIO_AUTH_TOKEN"):
        env["IVR_TWILIO_AUTH_TOKEN"] = secrets.token_hex(16)
        if keep_token:
            # Kept so that `ivr call --url` and `ivr text --url` can sign requests to this server.
            instance = Path(env.get("IVR_INSTANCE_DIR", REPO_ROOT / "instance"))
            instance.mkdir(parents=True, exist_ok=True)
            (instance / LOCAL_TOKEN_FILE).write_text(env["IVR_TWILIO_AUTH_TOKEN"])
    return env


def webhooks(environ: Mapping[str, str], url: str | None) -> Webhooks:
    """Signed access to the line: a running server at url, or a line built in this process."""
    if url:
        token = environ.get("IVR_TWILIO_AUTH_TOKEN", "")
        kept = Path(environ.get("IVR_INSTANCE_DIR", REPO_ROOT / "instance")) / LOCAL_TOKEN_FILE
        if not token and kept.is_file():
            token = kept.read_text().strip()
        if not token:
            raise click.ClickException(
                "No token to sign with: set IVR_TWILIO_AUTH_TOKEN to the server's token."
            )
        return Webhooks(url.rstrip("/"), token)
    from ivr import create_app

    env = local_settings({**environ, "IVR_SIMULATOR": "false"}, "127.0.0.1", 5000, keep_token=False)
    settings = {
        key.removeprefix("IVR_"): value for key, value in env.items() if key.startswith("IVR_")
    }
    try:
        app = create_app(settings)
    except (SettingsError, ContentError) as error:
        raise click.ClickException(str(error)) from None
    return Webhooks(env["IVR_PUBLIC_URL"], env["IVR_TWILIO_AUTH_TOKEN"], app)


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
@click.option("--workers", default=1, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve_command(host: str, port: int, workers: int, threads: int) -> None:
    """Run the line locally under gunicorn, with embedded defaults."""
    from ivr.server import serve

    env = local_settings(os.environ, host, port)
    made_up = not os.environ.get("IVR_TWILIO_AUTH_TOKEN")
    made_up_password = not os.environ.get("IVR_REPORT_PASSWORD")
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
    if app.extensions["ivr"].settings.simulator:
        click.echo(f"Try it in your browser: {env['IVR_PUBLIC_URL']}/simulator")
    if made_up_password:
        click.echo(
            f"The usage report is at {env['IVR_PUBLIC_URL']}/report (any user name, password "
            f"{env['IVR_REPORT_PASSWORD']}); `ivr demo-traffic --url {env['IVR_PUBLIC_URL']}` "
            "fills it."
        )
    serve(app, host, port, workers, threads)


URL_HELP = (
    "A running line to talk to (e.g. http://127.0.0.1:5000); default: one built in this process."
)


@main.command("text")
@click.argument("message")
@click.option("--url", default=None, help=URL_HELP)
@click.option("--from", "number", default=CALLER, show_default=True, help="The texter's number.")
@click.option(
    "--whatsapp", "by_whatsapp", is_flag=True, help="Send it on WhatsApp (whatsapp:<number>)."
)
def text_command(message: str, url: str | None, number: str, by_whatsapp: bool) -> None:
    """Text MESSAGE to the line and print its reply with its size (SMS segments)."""
    lines = webhooks(os.environ, url)
    if by_whatsapp:
        audio_dir, content_dir = _local_dirs(lines)
        captions = _captions(audio_dir, content_dir)
        replies = whatsapp(lines, message, number, captions)
    else:
        replies = text(lines, message, number)
    for line in replies:
        click.echo(line)


@main.command("call")
@click.option("--url", default=None, help=URL_HELP)
@click.option("--from", "number", default=CALLER, show_default=True, help="The caller's number.")
@click.option(
    "--audio/--no-audio", default=True, help="Play recordings when ffplay or mpg123 exists."
)
def call_command(url: str | None, number: str, audio: bool) -> None:
    """Call the line from this terminal: type keys or words, read what the caller hears."""
    lines = webhooks(os.environ, url)
    audio_dir, content_dir = _local_dirs(lines)
    TerminalCall(
        lines,
        ask=_ask,
        show=click.echo,
        audio_dir=audio_dir if audio else None,
        number=number,
        captions=_captions(audio_dir, content_dir),
    ).run()


def _local_dirs(lines: Webhooks) -> tuple[Path, Path]:
    """Where the recordings and the content are: the line's own, or this checkout's."""
    if lines.app:
        settings = lines.app.extensions["ivr"].settings
        return settings.audio_dir, settings.content_dir
    # A line elsewhere: its recordings' words (and sound) from this checkout, by file name.
    return (
        Path(os.environ.get("IVR_AUDIO_DIR", AUDIO_DIR)),
        Path(os.environ.get("IVR_CONTENT_DIR", CONTENT_DIR)),
    )


def _captions(audio_dir: Path, content_dir: Path) -> dict[str, str]:
    try:
        return recording_captions(audio_dir, load_content(content_dir))
    except ContentError:
        return {}  # the call still works; recordings show as file names


def _ask(prompt: str) -> str:
    try:
        return input(prompt)
    except EOFError:  # the end of piped input hangs up
        return "hangup"


@main.command("build-audio")
@click.option(
    "--engine",
    type=click.Choice(ENGINE_NAMES),
    default="auto",
    show_default=True,
    help="auto: gTTS when Google answers, else Piper (English) and espeak-ng.",
)
@click.option(
    "--lang",
    "languages",
    type=click.Choice(LANGUAGES),
    multiple=True,
    help="Only this language (repeatable). Default: all.",
)
@click.option("--force", is_flag=True, help="Record everything again, even what is current.")
@click.option("--jobs", type=click.IntRange(1, 32), default=4, show_default=True)
@click.option("--dry-run", is_flag=True, help="Say what would be done; change nothing.")
@click.option(
    "--audio-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="IVR_AUDIO_DIR",
    default=AUDIO_DIR,
    show_default=True,
)
@click.option(
    "--content-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    envvar="IVR_CONTENT_DIR",
    default=CONTENT_DIR,
    show_default=True,
)
def build_audio_command(
    engine: str,
    languages: tuple[str, ...],
    force: bool,
    jobs: int,
    dry_run: bool,
    audio_dir: Path,
    content_dir: Path,
) -> None:
    """Record every spoken text that has no current recording; remove what the content dropped."""
    languages = languages or LANGUAGES
    try:
        content = load_content(content_dir)
        choice = choose_engines(engine, languages)
        if choice.note:
            click.echo(choice.note, err=True)
        report = build_audio(
            wanted_recordings(content, languages),
            audio_dir,
            choice.engines,
            explicit=choice.explicit,
            force=force,
            jobs=jobs,
            dry_run=dry_run,
            progress=True,
        )
    except (ContentError, EngineError) as error:
        raise click.ClickException(str(error)) from None
    if dry_run:
        for item in report.planned:
            click.echo(f"record  {label(item.key)}")
        for file in report.removed:
            click.echo(f"remove  {file}")
    click.echo(report.summary())


@main.command("report")
@click.option("--since", default=None, help="First day, YYYY-MM-DD (default: 30 days ago).")
@click.option("--until", default=None, help="Last day, YYYY-MM-DD (default: today, UTC).")
@click.option(
    "--format", "form", type=click.Choice(sorted(FORMATS)), default="text", show_default=True
)
def report_command(since: str | None, until: str | None, form: str) -> None:
    """Print the usage report; every count from 1 to 10 shows as <11."""
    from ivr.report.service import ReportError, load_report, parse_period

    try:
        period = parse_period(since, until)
        store, content = _report_store(os.environ)
        click.echo(FORMATS[form](load_report(store, content, period)), nl=False)
    except (ReportError, SettingsError, ContentError) as error:
        raise click.ClickException(str(error)) from None


def _report_store(environ: Mapping[str, str]) -> tuple[Store, Content]:
    """The line's store and content for reading the report: no Twilio setting is needed."""
    overrides = {
        name: environ.get(f"IVR_{name}") or placeholder
        for name, placeholder in (
            ("TWILIO_AUTH_TOKEN", "unused"),
            ("PUBLIC_URL", "http://localhost"),
        )
    }
    settings = Settings.load(environ, overrides)
    try:
        engine = create_engine(settings.resolved_database_url())
        upgrade_schema(engine)
    except sa.exc.SQLAlchemyError:
        raise click.ClickException(
            "The database did not answer, so there is no report now; check IVR_DATABASE_URL."
        ) from None
    # The report reads counts only: it hashes no number, so it needs no secret.
    return Store(engine, NumberHasher(b"the report hashes nothing")), load_content(
        settings.content_dir
    )


@main.command("demo-traffic")
@click.option("--url", required=True, help="The running line, e.g. http://127.0.0.1:5000.")
@click.option("--calls", default=120, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--texts", default=160, show_default=True, type=click.IntRange(1, 10_000))
def demo_traffic_command(url: str, calls: int, texts: int) -> None:
    """Send a realistic mix of calls and texts through a running line's signed webhooks."""
    from ivr.report.demo import demo_traffic

    try:
        sent = demo_traffic(webhooks(os.environ, url), calls=calls, texts=texts)
    except requests.RequestException as error:
        raise click.ClickException(f"The line at {url} did not answer: {error}") from None
    click.echo(f"Sent {sent.calls} calls and {sent.texts} texts; {sent.failures} failed.")
    click.echo(f"See {url.rstrip('/')}/report")
    if sent.failures:
        sys.exit(1)


@main.command("export-site")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export_site_command(directory: Path) -> None:
    """Write the listen-online pages and their recordings to DIRECTORY, for any static host."""
    try:
        # The line's own settings say where the content and recordings are and which engines
        # play; a local line's defaults fill in the URL and token an export never uses.
        settings = Settings.load(local_settings(os.environ, "127.0.0.1", 5000, keep_token=False))
        content = load_content(settings.content_dir)
        catalogue = load_catalogue(
            settings.audio_dir, content, settings.audio_url, settings.audio_engines
        )
    except (SettingsError, ContentError) as error:
        raise click.ClickException(str(error)) from None
    if catalogue.status.problem:
        click.echo(catalogue.status.problem, err=True)
    exported = export_site(directory, content, catalogue, settings.audio_dir)
    click.echo(
        f"Wrote {exported.pages} pages and {exported.recordings} recordings "
        f"({exported.bytes / 1e6:.1f} MB) to {directory}; open {directory / 'index.html'}."
    )
