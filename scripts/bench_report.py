"""Report benchmark: the usage report over a million events (target: at most 2 s).

Writes --events usage events (default 1,000,000), spread over 400 days in the mix a line
records (call steps, answers, transfers, call ends, texts), through the store's own write path
(Store.write_bookkeeping, 10,000 a transaction), then times the report for the whole 400 days
and for the default 30. SQLite by default; PostgreSQL with --database-url or
IVR_TEST_DATABASE_URL (its tables are emptied first).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from bench import BenchLine

from ivr.events import UsageEvent
from ivr.report.figures import Period
from ivr.report.service import load_report
from ivr.security import NumberHasher
from ivr.store import Store, create_engine, upgrade_schema
from ivr.store.schema import metadata

DAYS = 400
BATCH = 10_000
TOPICS = ("what-is", "symptoms", "treatment", "how-spread", "where-spread", "new-treatments")
PLACES = ("main", "treatment", "spread", "other", "welcome")
HOW = ("key", "key", "key", "speech", "silence", "not-understood", "wrong-key")
SMS_KINDS = ("summary", "more", "menu", "help", "not-understood", "opt-out", "opt-in", "sites")


def add_options(parser: argparse.ArgumentParser) -> None:
    """--events and --database-url for this benchmark."""
    parser.add_argument("--events", type=int, default=1_000_000, help="report: events to write")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("IVR_TEST_DATABASE_URL", ""),
        help="report: a PostgreSQL URL to measure on (emptied first)",
    )


def run(line: BenchLine) -> None:
    """Write the events, then time the report over them."""
    options = line.options
    services = line.app.extensions["ivr"]
    store = services.store
    url = getattr(options, "database_url", "")
    if url:
        store = _fresh_store(url)
    total = getattr(options, "events", 1_000_000)
    chooser = random.Random(14)
    now = datetime.now(UTC)
    start = time.perf_counter()
    written = 0
    first = now - timedelta(days=DAYS)
    step = timedelta(days=DAYS) / total  # events come in the order they happen
    while written < total:
        size = min(BATCH, total - written)
        moments = (first + step * (written + n) for n in range(size))
        store.write_bookkeeping(
            [_event(chooser, when, written + n) for n, when in enumerate(moments)]
        )
        written += size
    writing = time.perf_counter() - start
    with store.engine.connect() as connection:
        counted = connection.execute(sa.text("SELECT count(*) FROM usage_counts")).scalar()
    print(
        f"{store.engine.dialect.name}: {total:,} events over {DAYS} days written in "
        f"{writing:.1f} s ({total / writing:,.0f} a second, {BATCH:,} a transaction); "
        f"{counted:,} rows of counts by day"
    )
    today = now.date()
    for days in (DAYS, 30):
        period = Period.ending(today, days)
        times = []
        for _ in range(3):
            began = time.perf_counter()
            load_report(store, services.content, period)
            times.append(time.perf_counter() - began)
        print(
            f"  the report over {days} days: median {statistics.median(times):.3f} s, "
            f"worst {max(times):.3f} s of 3 (target: at most 2 s)"
        )


def _fresh_store(url: str) -> Store:
    engine = create_engine(url)
    with engine.begin() as connection:
        for table in (*metadata.tables, "alembic_version"):  # every table of the line
            connection.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
    upgrade_schema(engine)
    return Store(engine, NumberHasher(b"bench"))


def _event(chooser: random.Random, when: datetime, n: int) -> UsageEvent:
    """One event of the mix, at when."""
    language = chooser.choice(("en", "en", "en", "es"))
    call = f"CA{n // 12:032x}"  # a dozen events a call
    roll = chooser.random()
    if roll < 0.45:
        place = chooser.choice(PLACES)
        how = chooser.choice(HOW)
        reached = "answer" if how in ("key", "speech") else place
        topic = chooser.choice(TOPICS) if reached == "answer" else None
        return UsageEvent(
            "voice", "step", topic, language, how, call, when, place, reached, 1 if topic else None
        )
    if roll < 0.55:
        return UsageEvent(
            "voice", "answer", chooser.choice(TOPICS), language, call_sid=call, occurred_at=when
        )
    if roll < 0.62:
        topic = chooser.choice(TOPICS)
        detail = chooser.choice(("all", "stopped"))
        return UsageEvent(
            "voice", "heard", topic, language, detail, call, when, part=chooser.randint(1, 4)
        )
    if roll < 0.67:
        outcome = chooser.choice(("contained", "contained", "transferred", "no-answer-heard"))
        return UsageEvent(
            "voice", "call-end", None, language, outcome, call, when, place=chooser.choice(PLACES)
        )
    if roll < 0.69:
        status = chooser.choice(("completed", "completed", "busy", "no-answer", "failed"))
        return UsageEvent("voice", "transfer-end", "person", language, status, call, when)
    kind = chooser.choice(SMS_KINDS)
    topic = chooser.choice(TOPICS) if kind in ("summary", "more") else None
    return UsageEvent("sms", kind, topic, language, occurred_at=when)
