"""The small-count rule: no figure the report shows lets a reader work out a count from 1 to 10.

Pure. A table is counts in rows and columns, with totals. Publishing it:
1. Every count from 1 to 10 shows as "<11" (primary suppression). 0 and 11 or more show as
   they are.
2. A total (of a row, a column, or the whole table) shows only when every count it adds up
   shows; otherwise it is "withheld". So a total minus the counts beside it is never a hidden
   count: a total that shows is the sum of figures the reader already has.
3. A rate shows only when its numerator and denominator both show (and the denominator is a
   total, so rule 2 has checked every part of it).
4. Tables that count the same events (linked: calls by day and calls by outcome) are set
   against each other: when one hides a count, each other table of the link that hides none
   withholds its smallest count of 12 or more as well (secondary suppression), so that no
   table gives away the total another table hides. 12, not 11: a "withheld" count is known
   to be at least 11, and ten hidden against an 11 withheld would give both away.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

SMALLEST_SHOWN = 11
HIDDEN = "<11"  # a count from 1 to 10
WITHHELD = "withheld"  # a count or total that would let a hidden count be worked out


@dataclass(frozen=True)
class Figure:
    """One figure as published: what it shows, and its value when it shows one."""

    text: str
    value: float | None = None  # None when hidden or withheld

    @property
    def shown(self) -> bool:
        """True when the figure shows its value."""
        return self.value is not None


@dataclass(frozen=True)
class Table:
    """Counts to publish: rows of counts under columns, with the totals a reader may want."""

    key: str
    title: str
    note: str
    row_label: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[int, ...]], ...]
    row_totals: str = ""  # the heading of a total column, or "" for none
    column_totals: str = ""  # the label of a total row, or "" for none
    rates: tuple[tuple[str, str], ...] = ()  # (label, row): that row's total over the table's


@dataclass(frozen=True)
class PublishedTable:
    """A table after the rule: every cell a Figure, totals and rates included."""

    key: str
    title: str
    note: str
    row_label: str
    columns: tuple[str, ...]  # with the total column's heading last, when there is one
    rows: tuple[tuple[str, tuple[Figure, ...]], ...]  # with the total row last, when there is one
    rates: tuple[tuple[str, Figure], ...] = ()
    total_column: bool = False  # the last column is each row's total
    total_row: bool = False  # the last row is each column's total

    @property
    def hides_any(self) -> bool:
        """True when some count of the table is hidden or withheld."""
        return any(not figure.shown for _, figures in self.rows for figure in figures)


def count(value: int) -> Figure:
    """A count as published: "<11" from 1 to 10, else itself."""
    if 0 < value < SMALLEST_SHOWN:
        return Figure(HIDDEN)
    return Figure(f"{value:,}", value)


def withheld() -> Figure:
    """A figure left out so that a hidden count cannot be worked out."""
    return Figure(WITHHELD)


def total(parts: Sequence[Figure], value: int) -> Figure:
    """The total of parts: shown only when every part shows (rule 2)."""
    if all(part.shown for part in parts):
        return count(value)
    return count(value) if value < SMALLEST_SHOWN else withheld()


def rate(numerator: Figure, denominator: Figure) -> Figure:
    """numerator / denominator as a whole percentage, when both show and there is one (rule 3)."""
    if numerator.value is None or not denominator.value:
        return Figure("–" if denominator.value == 0 else WITHHELD)
    percent = round(100 * numerator.value / denominator.value)
    return Figure(f"{percent}%", percent)


def publish(table: Table, withhold: frozenset[tuple[int, int]] = frozenset()) -> PublishedTable:
    """The table under the rule; withhold names (row, column) cells to withhold (rule 4)."""
    cells = [
        [withheld() if (r, c) in withhold else count(n) for c, n in enumerate(counts)]
        for r, (_, counts) in enumerate(table.rows)
    ]
    rows: list[tuple[str, tuple[Figure, ...]]] = []
    for (label, counts), figures in zip(table.rows, cells, strict=True):
        if table.row_totals:
            figures = [*figures, total(figures, sum(counts))]
        rows.append((label, tuple(figures)))
    if table.column_totals:
        width = len(table.columns)
        sums = [sum(counts[c] for _, counts in table.rows) for c in range(width)]
        footer = [total([row[c] for row in cells], sums[c]) for c in range(width)]
        if table.row_totals:
            every = [figure for row in cells for figure in row]
            footer.append(total(every, sum(sums)))
        rows.append((table.column_totals, tuple(footer)))
    columns = table.columns + ((table.row_totals,) if table.row_totals else ())
    published = PublishedTable(
        table.key,
        table.title,
        table.note,
        table.row_label,
        columns,
        tuple(rows),
        total_column=bool(table.row_totals),
        total_row=bool(table.column_totals),
    )
    return replace(published, rates=tuple(_rates(table, published)))


def _rates(table: Table, published: PublishedTable) -> Iterable[tuple[str, Figure]]:
    """Each rate: a row's total (or its one count) over the table's total."""
    if not (table.rates and table.column_totals):
        return
    by_label = {label: figures for label, figures in published.rows}
    grand = published.rows[-1][1][-1]
    for label, row in table.rates:
        yield label, rate(by_label[row][-1], grand)


def publish_linked(tables: Sequence[Table]) -> list[PublishedTable]:
    """Tables that count the same events, published together under rule 4."""
    published = [publish(table) for table in tables]
    if not any(table.hides_any for table in published):
        return published
    out = []
    for table, shown in zip(tables, published, strict=True):
        if shown.hides_any:
            out.append(shown)
            continue
        candidates = [
            (n, r, c)
            for r, (_, counts) in enumerate(table.rows)
            for c, n in enumerate(counts)
            if n > SMALLEST_SHOWN
        ]
        if candidates:
            _, r, c = min(candidates)
            out.append(publish(table, frozenset({(r, c)})))
        else:  # nothing to withhold safely: the whole table is withheld
            every = frozenset(
                (r, c) for r, (_, counts) in enumerate(table.rows) for c in range(len(counts))
            )
            out.append(publish(table, every))
    return out
