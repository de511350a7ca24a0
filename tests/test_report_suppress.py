"""The small-count rule: no count from 1 to 10 shows, and no total, rate or table gives one away."""

from __future__ import annotations

import itertools
import random

import pytest

from ivr.report.suppress import (
    HIDDEN,
    WITHHELD,
    PublishedTable,
    Table,
    count,
    publish,
    publish_linked,
    rate,
)


def table(rows: list[list[int]], key: str = "t", rates: bool = False) -> Table:
    return Table(
        key,
        "A table",
        "",
        "Row",
        tuple(f"c{n}" for n in range(len(rows[0]))),
        tuple((f"r{n}", tuple(row)) for n, row in enumerate(rows)),
        row_totals="Total",
        column_totals="All",
        rates=(("Share of r0", "r0"),) if rates else (),
    )


def texts(published: PublishedTable) -> list[list[str]]:
    return [[figure.text for figure in figures] for _, figures in published.rows]


@pytest.mark.parametrize(("value", "shown"), [(0, "0"), (1, HIDDEN), (10, HIDDEN), (11, "11")])
def test_counts_from_1_to_10_show_as_under_11(value: int, shown: str) -> None:
    assert count(value).text == shown


def test_a_total_with_a_hidden_part_is_withheld() -> None:
    published = publish(table([[50, 3], [40, 20]]))
    assert texts(published) == [
        ["50", HIDDEN, WITHHELD],
        ["40", "20", "60"],
        ["90", WITHHELD, WITHHELD],
    ]


def test_totals_show_when_every_part_shows() -> None:
    assert texts(publish(table([[50, 0], [40, 20]]))) == [
        ["50", "0", "50"],
        ["40", "20", "60"],
        ["90", "20", "110"],
    ]


def test_a_total_of_small_parts_is_itself_hidden() -> None:
    assert texts(publish(table([[2, 3]])))[0] == [HIDDEN, HIDDEN, HIDDEN]


def test_a_rate_needs_both_its_figures() -> None:
    assert publish(table([[60, 40]], rates=True)).rates[0][1].text == "100%"
    shown = publish(table([[60, 0], [30, 30]], rates=True)).rates[0][1]
    assert shown.text == "50%"
    hidden = publish(table([[60, 0], [30, 5]], rates=True)).rates[0][1]
    assert hidden.text == WITHHELD and not hidden.shown
    assert rate(count(5), count(100)).text == WITHHELD
    assert rate(count(0), count(0)).text == "–"


def test_linked_tables_withhold_a_count_when_another_hides_one() -> None:
    by_day = table([[40, 30], [20, 14]], key="days")  # nothing small: 104 in all
    by_outcome = table([[97, 7]], key="outcomes")  # 7 hidden: 104 - 97 would give it away
    days, outcomes = publish_linked([by_day, by_outcome])
    assert outcomes.hides_any
    # The smallest count of 12 or more is withheld, so the days no longer add up to 104.
    assert texts(days)[1][1] == WITHHELD
    assert texts(days)[-1][-1] == WITHHELD


def test_linked_tables_that_hide_nothing_show_everything() -> None:
    first, second = publish_linked([table([[40, 30]]), table([[35, 35]])])
    assert not first.hides_any and not second.hides_any


def _feasible_values(tables: list[Table], published: list[PublishedTable]) -> list[set[int]]:
    """What a reader can say about each hidden count, from everything published.

    Every hidden count is 1 to 10 and every withheld one 0 or 11 and more; each total shown is
    an equation, and so is the one grand total linked tables share. Brute force over the
    hidden counts; each withheld count is then whatever its equations leave (one at most).
    """
    known: dict[tuple[int, int, int], int] = {}
    hidden: list[tuple[int, int, int]] = []
    withheld: list[tuple[int, int, int]] = []
    equations: list[tuple[dict[tuple[int, int, int], int], float]] = []
    grand_cells: dict[tuple[int, int, int], int] = {}
    for t, shown in enumerate(published):
        body = shown.rows[:-1]
        width = len(body[0][1]) - 1
        for r, (_, figures) in enumerate(body):
            for c, figure in enumerate(figures[:-1]):
                cell = (t, r, c)
                if figure.value is not None:
                    known[cell] = int(figure.value)
                else:
                    (hidden if figure.text == HIDDEN else withheld).append(cell)
            if figures[-1].value is not None:
                equations.append(({(t, r, c): 1 for c in range(width)}, figures[-1].value))
        footer = shown.rows[-1][1]
        for c in range(width):
            if footer[c].value is not None:
                equations.append(({(t, r, c): 1 for r in range(len(body))}, footer[c].value))
        cells = {(t, r, c): 1 for r in range(len(body)) for c in range(width)}
        if footer[-1].value is not None:
            equations.append((cells, footer[-1].value))
        sign = 1 if t == 0 else -1  # linked: table 0's grand total is table 1's
        grand_cells |= {cell: sign for cell in cells}
    equations.append((grand_cells, 0))
    assert len(withheld) <= 1, "the brute force below handles one withheld count"
    feasible: list[set[int]] = [set() for _ in hidden]
    for values in itertools.product(range(1, 11), repeat=len(hidden)):
        cells = known | dict(zip(hidden, values, strict=True))
        if _solvable(equations, cells, withheld):
            for n, value in enumerate(values):
                feasible[n].add(value)
    return feasible


def _solvable(
    equations: list[tuple[dict[tuple[int, int, int], int], float]],
    cells: dict[tuple[int, int, int], int],
    withheld: list[tuple[int, int, int]],
) -> bool:
    """True when some withheld value (0, or 11 and more) satisfies every equation."""
    value: float | None = None
    for coefficients, total in equations:
        rest = total - sum(k * cells[c] for c, k in coefficients.items() if c in cells)
        free = [k for c, k in coefficients.items() if c not in cells]
        if not free:
            if rest != 0:
                return False
            continue
        needed = rest / free[0]
        if value is not None and needed != value:
            return False
        value = needed
    return value is None or value == 0 or value >= 11


def test_no_hidden_count_can_be_worked_out_from_what_is_shown() -> None:
    """A reader with every published figure of two linked tables still cannot pin one down."""
    chooser = random.Random(14)
    tried = 0
    while tried < 200:
        first = [
            [chooser.choice([0, 1, 2, 5, 9, 10, 12, 15, 30]) for _ in range(2)] for _ in range(2)
        ]
        total = sum(map(sum, first))
        cut = chooser.randint(0, total)
        tables = [table(first, "a"), table([[cut, total - cut]], "b")]
        published = publish_linked(tables)
        hidden = [f for p in published for _, fs in p.rows[:-1] for f in fs[:-1] if not f.shown]
        if not hidden or len(hidden) > 4 or sum(f.text == WITHHELD for f in hidden) > 1:
            continue
        tried += 1
        for values in _feasible_values(tables, published):
            assert len(values) > 1, (first, cut, [texts(p) for p in published])
