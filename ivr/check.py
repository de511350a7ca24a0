"""`ivr check`: settings, content, recordings and text reply sizes, as a report of lines."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ivr.audio.catalogue import AudioStatus, load_catalogue
from ivr.config import AUDIO_DIR, Settings, SettingsError
from ivr.content import CONTENT_DIR, LANGUAGES, Content, ContentError, load_content
from ivr.sms.replies import DID_YOU_MEAN, SEGMENT_BUDGET, ReplySize, reply_sizes

SHOWN_IDS = 10  # missing or stale recordings `ivr check` names before it says "and N more"


@dataclass
class Report:
    """The result of `ivr check`: lines to print and whether anything was wrong."""

    lines: list[str] = field(default_factory=list)
    problems: int = 0

    def ok(self, text: str) -> None:
        """Record a check that passed."""
        self.lines.append(f"ok    {text}")

    def fail(self, text: str) -> None:
        """Record a problem: `ivr check` then exits non-zero."""
        self.lines.append(f"FAIL  {text}")
        self.problems += 1

    def warn(self, text: str) -> None:
        """Record something worth knowing that is not a problem."""
        # Not a problem: the line still works, speaking with Twilio's voice what has no recording.
        self.lines.append(f"WARN  {text}")


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
        audio_dir = settings.audio_dir if settings else AUDIO_DIR
        _check_audio(report, load_catalogue(audio_dir, content, "").status)
        _check_sms_sizes(report, content)
    return report


def _check_audio(report: Report, status: AudioStatus) -> None:
    if status.problem:
        report.warn(f"audio: {status.problem}")
    for kind, labels in (("missing", status.missing), ("stale", status.stale)):
        if labels:
            shown = ", ".join(labels[:SHOWN_IDS])
            more = f" and {len(labels) - SHOWN_IDS} more" if len(labels) > SHOWN_IDS else ""
            report.warn(
                f"audio: {len(labels)} recording(s) {kind}: {shown}{more}; run `ivr build-audio`"
            )
    if not (status.missing or status.stale):
        report.ok(f"audio: all {status.current} recordings current in {status.directory}")


def _check_sms_sizes(report: Report, content: Content) -> None:
    """One line per fixed text reply and summary, and per answer sent in parts, with sizes."""
    try:
        sizes = reply_sizes(content)
    except ContentError as error:
        for problem in error.problems:
            report.fail(f"sms: {problem}")
        return
    parts: dict[tuple[str, str], list[ReplySize]] = {}
    guesses: dict[str, list[ReplySize]] = {}
    for reply in sizes:
        if reply.part:
            parts.setdefault((reply.language, reply.part), []).append(reply)
        elif reply.name.startswith(DID_YOU_MEAN):
            guesses.setdefault(reply.language, []).append(reply)
        else:
            _size_line(report, f"sms {reply.language} {reply.name}", [reply])
    for (code, topic), pages in parts.items():
        _size_line(report, f"sms {code} {topic}, full answer in {len(pages)} part(s)", pages)
    for code, replies in guesses.items():
        # One line for every "Did you mean" of a language, each measured: the word varies.
        _size_line(report, f"sms {code} did you mean, each of {len(replies)} words", replies)


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
