"""The line on several servers, on real parts, with one of them killed under load.

Starts a throwaway PostgreSQL (or uses IVR_DATABASE_URL when it names one) and a throwaway
Redis, then nginx with deploy/nginx-cluster.conf in front of two production servers
(ivr.cluster), sends signed texts through the proxy, SIGKILLs one server mid-load, starts it
again, and prints what happened. Exits 1 when an acknowledged opt-out is missing, a number
that opted out got a reply, an error was not one in flight on the killed server, or a
texter got more than the rate limit. Loopback only; everything it starts is stopped.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from ivr import cluster, failover

TOKEN = "cluster-token-0123456789abcdef"
RATE_LIMIT = "5/minute;100/day"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server (2)")
    parser.add_argument("--before", type=float, default=3, help="seconds of load before the kill")
    parser.add_argument("--after", type=float, default=3, help="seconds before the restart")
    parser.add_argument("--keep", action="store_true", help="keep the run folder and its logs")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with ExitStack() as stack:
            work = Path(tempfile.mkdtemp(prefix="ivr-cluster-"))
            if not args.keep:
                stack.callback(_remove, work)
            figures = _run(stack, work, args)
            if args.keep:
                print(f"Logs: {work}")
    except cluster.Missing as missing:
        print(missing, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nInterrupted; everything it started is stopped.", file=sys.stderr)
        return 130
    return 0 if _holds(figures) else 1


def _run(stack: ExitStack, work: Path, args: argparse.Namespace) -> failover.Figures:
    database = os.environ.get("IVR_DATABASE_URL", "")
    if not database.startswith(("postgresql://", "postgres://")):
        database = stack.enter_context(cluster.postgres_server())
    (work / "redis").mkdir()
    redis = stack.enter_context(cluster.redis_server(work / "redis"))
    settings = {"IVR_SMS_RATE_LIMIT": RATE_LIMIT}
    running = stack.enter_context(
        cluster.line_cluster(
            database, redis, TOKEN, settings, workers=args.workers, run_dir=work / "run"
        )
    )
    conf = cluster.NGINX_CONF.relative_to(cluster.REPO_ROOT)
    print(f"Proxy: nginx ({conf}) at {running.public_url}")
    for server in running.servers:
        where = f"{server.address}, {args.workers} workers"
        print(f"  {server.name}: gunicorn -c python:ivr.gunicorn_conf at {where}")
    print(f"PostgreSQL: {database}; Redis: {redis.url}; IVR_SMS_RATE_LIMIT={RATE_LIMIT}")
    print(
        f"Load: {failover.SENDERS} senders, {args.before:g} s, then SIGKILL of line-1, "
        f"{args.after:g} s, then line-1 started again."
    )
    figures = failover.run(running, RATE_LIMIT, before=args.before, after=args.after)
    for line in figures.lines():
        print(line)
    return figures


def _holds(figures: failover.Figures) -> bool:
    return (
        figures.opt_outs_found == figures.opt_outs_acknowledged
        and figures.replies_to_opted_out == 0
        and figures.errors <= figures.in_flight_at_kill
        and figures.errors_started_after_kill == 0
        and figures.errors_not_on_killed_server == 0
        and figures.replies_over_limit == 0
        and figures.served_by_restarted > 0
        and not figures.restarted_log_errors
    )


def _remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
