"""The report as text, CSV or JSON: the same published figures, never a count under 11."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

from ivr.report.figures import Report
from ivr.report.suppress import HIDDEN, SMALLEST_SHOWN, WITHHELD, PublishedTable

RULE = (
    f"Counts from 1 to {SMALLEST_SHOWN - 1} show as {HIDDEN}; a total or rate that would let "
    f"one be worked out shows as {WITHHELD}."
)


def as_text(report: Report) -> str:
    """A plain-text report: each table aligned, with its note."""
    out = [
        f"Usage report, {report.period.since} to {report.period.until} (UTC days)",
        RULE,
        "",
    ]
    for table in report.tables:
        out += [table.title, "-" * len(table.title), table.note]
        grid = [(table.row_label, *table.columns)] + [
            (label, *(figure.text for figure in figures)) for label, figures in table.rows
        ]
        widths = [max(len(row[c]) for row in grid) for c in range(len(grid[0]))]
        for row in grid:
            first = row[0].ljust(widths[0])
            rest = (cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))
            out.append("  ".join((first, *rest)).rstrip())
        out += [f"{label}: {figure.text}" for label, figure in table.rates]
        out.append("")
    out.append(f"Words of texts not understood, sent by at least {SMALLEST_SHOWN} numbers")
    out += [f"  {word}: {n:,} numbers" for word, n in report.words] or ["  (none)"]
    return "\n".join(out) + "\n"


def as_csv(report: Report) -> str:
    """One CSV: a row per figure (table, row, column, shown), so any sheet can pivot it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["table", "row", "column", "figure"])
    for table in report.tables:
        for label, figures in table.rows:
            for column, figure in zip(table.columns, figures, strict=True):
                writer.writerow([table.key, label, column, figure.text])
        for label, figure in table.rates:
            writer.writerow([table.key, label, "rate", figure.text])
    for word, n in report.words:
        writer.writerow(["words", word, "numbers", n])
    return buffer.getvalue()


def as_json(report: Report) -> str:
    """The report as JSON: each figure as shown, and its value only when it shows one."""

    def table_json(table: PublishedTable) -> dict[str, object]:
        return {
            "key": table.key,
            "title": table.title,
            "note": table.note,
            "columns": [table.row_label, *table.columns],
            "rows": [
                {"label": label, "figures": [figure.text for figure in figures]}
                for label, figures in table.rows
            ],
            "rates": {label: figure.text for label, figure in table.rates},
        }

    document = {
        "since": report.period.since.isoformat(),
        "until": report.period.until.isoformat(),
        "rule": RULE,
        "tables": [table_json(table) for table in report.tables],
        "words": [{"word": word, "numbers": n} for word, n in report.words],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


FORMATS: dict[str, Callable[[Report], str]] = {"text": as_text, "csv": as_csv, "json": as_json}
