"""The usage report: from the counts by day to the published tables, under the small-count rule.

Pure: build_report takes the rows of usage_counts (see ivr/store/schema.py) and the words not
understood, and returns every table already published (ivr/report/suppress.py). The command
line, the page and their tests all read the same Report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ivr.content import Content
from ivr.events import MOMENTS, TEXT_CHANNELS
from ivr.report.suppress import SMALLEST_SHOWN, PublishedTable, Table, publish, publish_linked
from ivr.voice.protocol import DialStatus, EventKind, MenuId, Place
from ivr.voice.steps import PUT_THROUGH, Answered, Outcome

# The period a report covers when none is given: the last 30 days, today included.
DEFAULT_DAYS = 30
TOP_WORDS = 20
LANGUAGES = (("en", "English"), ("es", "Spanish"))
# The places of the waterfall, in the order a caller meets them.
WATERFALL = (
    (Place.WELCOME.value, "Welcome (language)"),
    (MenuId.MAIN.value, "Main menu"),
    (MenuId.TREATMENT.value, "Treatment menu"),
    (MenuId.SPREAD.value, "Spread menu"),
    (MenuId.OTHER.value, "Other questions menu"),
)
# How a caller answered at a menu, as the waterfall's columns.
ANSWERED = (
    (Answered.KEY, "By key"),
    (Answered.SPEECH, "By speech"),
    (Answered.SILENCE, "Silence"),
    (Answered.NOT_UNDERSTOOD, "Not understood"),
    (Answered.WRONG_KEY, "Wrong key"),
)
OUTCOMES = (
    (Outcome.CONTAINED, "Heard an answer, not put through"),
    (Outcome.TRANSFERRED, "Put through to a person or the crisis line"),
    (Outcome.NO_ANSWER_HEARD, "Heard no answer, not put through"),
)
# What the texting line sent, by the kind of event; answers are in the topics table, and
# distress and personal questions in the moments table, so no text is counted twice.
TEXT_KINDS = (
    (("more", "more-done", "more-nothing"), "MORE"),
    (("menu",), "Menu"),
    (("help",), "Help"),
    (("language",), "Language changed"),
    (("not-understood",), "Not understood"),
    (("no-text",), "Empty message"),
    (("opt-out",), "Opt-out (STOP)"),
    (("opt-in",), "Opt-in (START)"),
)
TEXT_ANSWERS = ("summary", "sites", "sites-list")
# The channels the report counts apart (the two messaging channels are both texts).
CHANNELS = (("voice", "Calls"), ("sms", "SMS"), ("whatsapp", "WhatsApp"))


@dataclass(frozen=True)
class Period:
    """The days a report covers, both included (UTC days)."""

    since: date
    until: date

    @classmethod
    def ending(cls, until: date, days: int = DEFAULT_DAYS) -> Period:
        """The days days up to until."""
        return cls(until - timedelta(days=days - 1), until)

    def days(self) -> list[date]:
        """Every day of the period, in order."""
        return [self.since + timedelta(days=n) for n in range((self.until - self.since).days + 1)]


@dataclass(frozen=True)
class Report:
    """The published report: its period, its tables (linked ones adjacent) and its words."""

    period: Period
    tables: tuple[PublishedTable, ...]
    words: tuple[tuple[str, int], ...]  # (word, numbers that sent it), each at least 11

    def table(self, key: str) -> PublishedTable:
        """The table with this key."""
        return next(table for table in self.tables if table.key == key)


class _Counts:
    """The rows of usage_counts, summed by whatever a table asks for."""

    def __init__(self, rows: Iterable[Mapping[str, Any]]) -> None:
        self.rows = list(rows)

    def sum(
        self, key: Callable[[Mapping[str, Any]], object], where: Callable[[Mapping[str, Any]], bool]
    ) -> dict[object, int]:
        totals: dict[object, int] = defaultdict(int)
        for row in self.rows:
            if where(row):
                totals[key(row)] += row["count"]
        return totals


def build_report(
    daily: Iterable[Mapping[str, Any]],
    overall: Iterable[Mapping[str, Any]],
    words: Sequence[tuple[str, int]],
    period: Period,
    content: Content,
) -> Report:
    """Every table of the report for period, published under the small-count rule.

    daily: counts by day, channel, kind and language; overall: counts over the whole period
    by every other column of usage_counts (ivr/store/schema.py).
    """
    by_day, counts = _Counts(daily), _Counts(overall)
    english = content["en"]
    titles = {topic.id: topic.title for topic in english.topics}
    calls = [_calls_per_day(by_day, period), _call_outcomes(counts)]
    texts = [
        _texts_per_day(by_day, period),
        _texts_by_kind(counts),
        _topics(counts, titles),
        _moments(counts),
    ]
    others = [
        _waterfall(counts),
        _parts_heard(counts, titles, {t.id: len(t.parts) for t in english.topics}),
        _transfers(counts),
    ]
    published = [
        *publish_linked(calls),
        *publish_linked(texts),
        *(publish(table) for table in others),
    ]
    order = (
        *("calls", "texts", "topics", "waterfall", "parts"),
        *("outcomes", "transfers", "text-kinds", "moments"),
    )
    ranked = sorted(published, key=lambda table: order.index(table.key))
    shown = tuple((word, n) for word, n in words if n >= SMALLEST_SHOWN)[:TOP_WORDS]
    return Report(period, tuple(ranked), shown)


def _texted(row: Mapping[str, Any]) -> bool:
    return row["channel"] in TEXT_CHANNELS


def _voice(kind: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda row: row["channel"] == "voice" and row["kind"] == kind


def _by_language(
    counts: _Counts,
    rows: Sequence[tuple[object, str]],
    row_of: Callable[[Mapping[str, Any]], object],
    where: Callable[[Mapping[str, Any]], bool],
    none_label: str,
) -> tuple[tuple[str, ...], tuple[tuple[str, tuple[int, ...]], ...]]:
    """Columns English, Spanish and none_label; rows as given, counted by row_of."""
    codes = [code for code, _ in LANGUAGES] + [""]
    sums = counts.sum(lambda r: (row_of(r), r["language"] if r["language"] in codes else ""), where)
    columns = tuple(name for _, name in LANGUAGES) + (none_label,)
    body = tuple((label, tuple(sums.get((key, code), 0) for code in codes)) for key, label in rows)
    return columns, body


def _by_channel(
    counts: _Counts,
    rows: Iterable[tuple[str, str]],
    row_of: Callable[[Mapping[str, Any]], object],
    where: Callable[[Mapping[str, Any]], bool],
) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """A row for each (key, label) of rows, counted by row_of, with a column per channel."""
    sums = counts.sum(lambda r: (row_of(r), r["channel"]), where)
    return tuple(
        (label, tuple(sums.get((key, channel), 0) for channel, _ in CHANNELS))
        for key, label in rows
    )


def _calls_per_day(counts: _Counts, period: Period) -> Table:
    days = [(day, day.isoformat()) for day in period.days()]
    columns, rows = _by_language(
        counts, days, lambda r: r["day"], _voice(EventKind.CALL_END), "No language chosen"
    )
    return Table(
        "calls",
        "Calls per day, by language",
        "Calls that ended on each day (UTC), from Twilio's status callback.",
        "Day",
        columns,
        rows,
        row_totals="All calls",
        column_totals="Whole period",
    )


def _texts_per_day(counts: _Counts, period: Period) -> Table:
    days = [(day, day.isoformat()) for day in period.days()]
    columns, rows = _by_language(counts, days, lambda r: r["day"], _texted, "Not known")
    return Table(
        "texts",
        "Texts per day, by language",
        "Texts (SMS and WhatsApp) the line answered or recorded on each day (UTC), in the "
        "language of its reply.",
        "Day",
        columns,
        rows,
        row_totals="All texts",
        column_totals="Whole period",
    )


def _topics(counts: _Counts, titles: Mapping[str, str]) -> Table:
    def answered(r: Mapping[str, Any]) -> bool:
        if r["channel"] == "voice":
            return bool(r["kind"] == EventKind.ANSWER)
        return _texted(r) and r["kind"] in TEXT_ANSWERS

    rows = _by_channel(counts, titles.items(), lambda r: r["topic"], answered)
    return Table(
        "topics",
        "Topics asked for, by channel",
        "Answers started on a call, and answers sent by SMS or WhatsApp (MORE not counted).",
        "Topic",
        tuple(name for _, name in CHANNELS),
        rows,
        row_totals="All channels",
        column_totals="All topics",
    )


def _waterfall(counts: _Counts) -> Table:
    def step_at(r: Mapping[str, Any]) -> bool:
        return bool(r["channel"] == "voice" and r["kind"] == EventKind.STEP)

    def column(r: Mapping[str, Any]) -> str:
        return "put-through" if r["reached"] in PUT_THROUGH else str(r["detail"])

    steps = counts.sum(lambda r: (r["place"], column(r)), step_at)
    hung_up = counts.sum(lambda r: r["place"], _voice(EventKind.CALL_END))
    rows = tuple(
        (
            label,
            tuple(steps.get((place, how.value), 0) for how, _ in ANSWERED)
            + (steps.get((place, "put-through"), 0), hung_up.get(place, 0)),
        )
        for place, label in WATERFALL
    )
    return Table(
        "waterfall",
        "Where callers go: each menu, reached and answered",
        "Each time a menu was said, how the caller answered it: a key or words that moved on, "
        "silence, words or a key that meant nothing there, asked for a person, or hung up. "
        "Reached is the sum.",
        "Menu",
        tuple(name for _, name in ANSWERED) + ("Put through", "Hung up"),
        rows,
        row_totals="Reached",
    )


def _parts_heard(counts: _Counts, titles: Mapping[str, str], parts: Mapping[str, int]) -> Table:
    most = max(parts.values())
    left = counts.sum(
        lambda r: (r["topic"], "all" if r["detail"] == "all" else r["part"]),
        _voice(EventKind.HEARD),
    )

    def hung_up_in_answer(r: Mapping[str, Any]) -> bool:
        return _voice(EventKind.CALL_END)(r) and r["place"] == Place.ANSWER.value

    hung_up = counts.sum(lambda r: (r["topic"], r["part"]), hung_up_in_answer)
    rows = []
    for topic, title in titles.items():
        stopped = tuple(
            left.get((topic, n), 0) + hung_up.get((topic, n), 0) if n <= parts[topic] else 0
            for n in range(1, most + 1)
        )
        rows.append((title, (*stopped, left.get((topic, "all"), 0))))
    return Table(
        "parts",
        "How much of each answer callers heard",
        "Each answer started on a call, by the part the caller left it in (by a key, words "
        "or hanging up), or heard to its end.",
        "Topic",
        tuple(f"Left in part {n}" for n in range(1, most + 1)) + ("Heard to the end",),
        tuple(rows),
        row_totals="Answers started",
    )


def _call_outcomes(counts: _Counts) -> Table:
    sums = counts.sum(lambda r: r["detail"], _voice(EventKind.CALL_END))
    rows = tuple((label, (sums.get(outcome.value, 0),)) for outcome, label in OUTCOMES)
    return Table(
        "outcomes",
        "How calls ended: containment",
        "Contained: the caller heard at least one answer and was not put through to anyone.",
        "Outcome",
        ("Calls",),
        rows,
        row_totals="",
        column_totals="All calls",
        rates=(("Containment", OUTCOMES[0][1]),),
    )


def _transfers(counts: _Counts) -> Table:
    sums = counts.sum(lambda r: (r["detail"], r["topic"]), _voice(EventKind.TRANSFER_END))
    rows = tuple(
        (
            status.value,
            (sums.get((status.value, "person"), 0), sums.get((status.value, "crisis-line"), 0)),
        )
        for status in DialStatus
    )
    return Table(
        "transfers",
        "Transfers, by how they ended",
        "As Twilio reported each transfer's end (DialCallStatus).",
        "Ended",
        ("To a person", "To the crisis line"),
        rows,
        row_totals="Both",
        column_totals="All transfers",
    )


def _texts_by_kind(counts: _Counts) -> Table:
    kinds = {kind: label for group, label in TEXT_KINDS for kind in group}
    columns, rows = _by_language(
        counts,
        [(label, label) for _, label in TEXT_KINDS],
        lambda r: kinds[r["kind"]],
        lambda r: _texted(r) and r["kind"] in kinds,
        "Not known",
    )
    return Table(
        "text-kinds",
        "Texts, by what they asked",
        "Every text but answers (see topics) and hard moments (see moments).",
        "Asked",
        columns,
        rows,
        row_totals="All",
        column_totals="All of these",
    )


def _moments(counts: _Counts) -> Table:
    rows = _by_channel(counts, MOMENTS.items(), lambda r: r["kind"], lambda r: r["kind"] in MOMENTS)
    return Table(
        "moments",
        "Hard moments and needing a person",
        "How often each happened, on calls, by SMS and on WhatsApp.",
        "Moment",
        tuple(name for _, name in CHANNELS),
        rows,
    )
