"""Reading the report: the period asked for, and the counts from the store, never a 500."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from ivr.content import Content
from ivr.report.figures import DEFAULT_DAYS, TOP_WORDS, Period, Report, build_report
from ivr.report.suppress import SMALLEST_SHOWN
from ivr.store import Store

# The longest period one report covers: ten years of days is still a quick read.
MAX_DAYS = 3660


class ReportError(ValueError):
    """The report cannot be made as asked; the message says why, in one sentence."""


def parse_period(since: str | None, until: str | None, today: date | None = None) -> Period:
    """The period asked for: YYYY-MM-DD dates, both included; by default the last 30 days."""
    end = _day(until, "until") if until else (today or datetime.now(UTC).date())
    start = _day(since, "since") if since else Period.ending(end, DEFAULT_DAYS).since
    if start > end:
        raise ReportError(f"--since ({start}) is after --until ({end}); swap them.")
    if (end - start).days >= MAX_DAYS:
        raise ReportError(f"A report covers at most {MAX_DAYS} days; ask for a shorter period.")
    return Period(start, end)


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ReportError(
            f"--{name} must be a date written YYYY-MM-DD, such as 2026-01-31, not {text!r}."
        ) from None


def load_report(store: Store, content: Content, period: Period) -> Report:
    """The report for period, read from the store; ReportError when the database is down."""
    try:
        daily, overall = store.report_counts(period.since, period.until)
        words = store.top_unknown_words(period.since, SMALLEST_SHOWN, TOP_WORDS)
    except sa.exc.SQLAlchemyError:
        raise ReportError(
            "The database did not answer, so there is no report now; calls and texts are "
            "not affected. Try again in a moment."
        ) from None
    return build_report(daily, overall, words, period, content)
