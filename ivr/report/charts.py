"""Charts of the report, drawn on the server as SVG: no script, no CDN, nothing to load.

Each chart draws only figures the table under it shows; a hidden or withheld figure is drawn
as no bar, with its text ("<11", "withheld") where the bar would be. The chart is an image
with a title and a description; the table after it carries the same figures for a screen
reader, so the bars themselves are hidden from one.
"""

from __future__ import annotations

from html import escape

from ivr.report.suppress import Figure, PublishedTable

# Colours that keep 3:1 against white and each other's neighbours (WCAG 1.4.11).
SERIES_COLOURS = ("#1f5fa8", "#b3541e", "#2e7d32", "#6a3d9a", "#8a6d00", "#00796b", "#ad1457")
TEXT = "#1a1a1a"
WIDTH = 760
LABEL_WIDTH = 300
LABEL_LETTERS = 40  # a longer label is cut, with an ellipsis (the table has it whole)
LEGEND_EACH = 180  # the width of one legend entry; they wrap to the next line
BAR = 14
GAP = 8


def chart(table: PublishedTable) -> str:
    """The table's chart as an SVG element (a string of markup, escaped)."""
    if table.key in ("calls", "texts"):
        return _columns_by_day(table)
    return _grouped_bars(table)


def _series(table: PublishedTable) -> tuple[list[str], list[tuple[str, tuple[Figure, ...]]]]:
    """The columns drawn (not a total column) and the rows drawn (not a total row)."""
    columns = list(table.columns[:-1] if table.total_column else table.columns)
    rows = [(label, figures[: len(columns)]) for label, figures in table.rows]
    if table.total_row:
        rows = rows[:-1]
    return columns, rows


def _frame(table: PublishedTable, height: int, body: list[str]) -> str:
    key = escape(table.key)
    title = escape(table.title)
    desc = "A bar chart; the table after it gives every figure."
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'aria-labelledby="chart-{key}-title chart-{key}-desc">'
        f'<title id="chart-{key}-title">{title}</title>'
        f'<desc id="chart-{key}-desc">{desc}</desc>' + "".join(body) + "</svg>"
    )


def _grouped_bars(table: PublishedTable) -> str:
    columns, rows = _series(table)
    values = [f.value for _, figures in rows for f in figures if f.value is not None]
    most = max(values, default=0) or 1
    scale = (WIDTH - LABEL_WIDTH - 90) / most
    body: list[str] = []
    y = _legend(body, columns, LABEL_WIDTH) + 10
    for label, figures in rows:
        short = label if len(label) <= LABEL_LETTERS else label[: LABEL_LETTERS - 1] + "…"
        body.append(_text(LABEL_WIDTH - 8, y + BAR * len(figures) / 2 + 4, short, "end"))
        for n, figure in enumerate(figures):
            colour = SERIES_COLOURS[n % len(SERIES_COLOURS)]
            width = (figure.value or 0) * scale
            if figure.value:
                body.append(
                    f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR - 2}" '
                    f'fill="{colour}"/>'
                )
            body.append(_text(LABEL_WIDTH + width + 4, y + BAR - 3, figure.text))
            y += BAR
        y += GAP
    return _frame(table, int(y) + 10, body)


def _columns_by_day(table: PublishedTable) -> str:
    """Each day's counts side by side, a colour a column; a hidden count is a grey mark."""
    columns, rows = _series(table)
    values = [f.value for _, figures in rows for f in figures if f.value is not None]
    most = max(values, default=0) or 1
    height, top, left = 240, 40, 50
    plot = height - top - 40
    slot = (WIDTH - left - 10) / max(len(rows), 1)
    bar = max(slot / (len(columns) + 1), 1)
    body = [
        f'<line x1="{left}" y1="{top + plot}" x2="{WIDTH - 10}" y2="{top + plot}" '
        f'stroke="{TEXT}"/>',
        _text(left - 6, top + 8, f"{most:,.0f}", "end"),
        _text(left - 6, top + plot, "0", "end"),
    ]
    _legend(body, columns, left)
    for n, (label, figures) in enumerate(rows):
        for c, figure in enumerate(figures):
            x = left + n * slot + c * bar
            if figure.value:
                height_of = figure.value / most * plot
                colour = SERIES_COLOURS[c % len(SERIES_COLOURS)]
                body.append(
                    f'<rect x="{x:.1f}" y="{top + plot - height_of:.1f}" width="{bar:.1f}" '
                    f'height="{height_of:.1f}" fill="{colour}"/>'
                )
            elif not figure.shown:  # hidden: a grey mark at the baseline, never a height
                body.append(
                    f'<rect x="{x:.1f}" y="{top + plot - 4}" width="{bar:.1f}" height="4" '
                    f'fill="#767676"/>'
                )
        if n == 0 or n == len(rows) - 1 or len(rows) <= 10:
            body.append(_text(left + (n + 0.5) * slot, top + plot + 16, label, "middle"))
    body.append(_text(left, height - 4, "Grey marks: a count that is hidden (<11 or withheld)."))
    return _frame(table, height, body)


def _legend(body: list[str], columns: list[str], left: float) -> float:
    """A key to the colours, wrapping as it must; where the chart may start below it."""
    per_line = max(int((WIDTH - left) // LEGEND_EACH), 1)
    for n, name in enumerate(columns):
        x = left + (n % per_line) * LEGEND_EACH
        y = 6 + (n // per_line) * 18
        colour = SERIES_COLOURS[n % len(SERIES_COLOURS)]
        body.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{colour}"/>')
        body.append(_text(x + 16, y + 10, name))
    return 6 + ((len(columns) - 1) // per_line + 1) * 18


def _text(x: float, y: float, text: str, anchor: str = "start") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{TEXT}" '
        f'font-size="12">{escape(text)}</text>'
    )
