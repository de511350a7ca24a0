"""Load the production server with wrk, then a bare Flask endpoint on the same settings.

With --rate R, first sends the line R signed webhooks a second (an open loop, load_paced.py)
and prints p50, p99 and p99.9 latency at that realistic peak; then the saturation runs.

Starts gunicorn with ivr/gunicorn_conf.py on a free loopback port (a throwaway instance folder
with SQLite, or IVR_DATABASE_URL when set), replays a realistic mix of signed call and SMS
webhooks with wrk for a bounded time, and prints requests per second, p50 and p99 latency and
errors. Then the same for scripts/bare_app.py, and the ratio. Loopback only; every server it
starts is stopped when it ends, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import gunicorn
import load_paced
from load_traffic import Traffic, count, interleave, write_requests
from sqlalchemy.engine import make_url

from ivr import loopback

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LUA = HERE / "load.lua"
HOST = loopback.HOST
TOKEN = "load-test-token-0123456789abcdef"
# High enough that no texter in the run reaches it: the limiter still counts every text,
# but the load is not turned into empty replies.
SMS_RATE_LIMIT = "1000000/minute"
TARGET_RATIO = 0.70
TARGET_P99_MS = 10.0  # at --rate 200: the latency a caller gets at a realistic peak
# A response slower than this counts as an error: Twilio gives up on a webhook after 15 s.
WRK_TIMEOUT_S = 15
STARTUP_TIMEOUT_S = 60
# Settings the run keeps from the shell; every other IVR_* variable is left out, so no run
# can send a real text message or reach anything but loopback.
KEPT_SETTINGS = ("IVR_DATABASE_URL",)
# The status in gunicorn's default access log line: ... "POST /sms HTTP/1.1" 200 123 ...
ACCESS_LINE = re.compile(r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d{3}) (?P<bytes>\S+)')


class WrkFailed(RuntimeError):
    """wrk exited without printing its figures."""


@dataclass(frozen=True)
class Figures:
    """What one run measured."""

    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    socket_errors: int
    non_2xx: int
    bytes_per_response: float
    log_errors: int
    log_warnings: int
    empty_sms: int
    sms: int
    cpu_ms: float | None  # server CPU time (all gunicorn processes) per request

    @property
    def rps(self) -> float:
        """Requests answered per second."""
        return self.requests / self.seconds

    @property
    def errors(self) -> int:
        """Non-2xx responses plus socket errors (connect, read, write, timeout)."""
        return self.non_2xx + self.socket_errors


@dataclass(frozen=True)
class Server:
    """What to start under gunicorn, how to tell that it answers, and where its logs go."""

    name: str
    app: str  # gunicorn's APP_MODULE
    settings: Mapping[str, str]  # IVR_* variables and the like, over the shell's environment
    ready: tuple[str, str]  # method and path that answer 200 once it is up
    files: Path  # prefix of its request files and logs
    prepare: str = ""  # Python code run once, in the server's environment, before it starts

    @property
    def access_log(self) -> Path:
        """gunicorn's access log (IVR_ACCESS_LOG), one line per request."""
        return self.files.with_name(self.files.name + "-access.log")

    @property
    def log(self) -> Path:
        """Everything else the server printed: gunicorn's log and the app's JSON lines."""
        return self.files.with_name(self.files.name + "-server.log")


def main(argv: list[str]) -> int:
    """Run both loads and print the comparison; 1 when wrk is missing, 130 when interrupted."""
    args = _arguments(argv)
    wrk = shutil.which("wrk")
    if not wrk:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _interrupt)  # clean up on kill as on Ctrl-C
    try:
        with tempfile.TemporaryDirectory(prefix="ivr-load-") as directory:
            paced, line, bare = _run(wrk, args, Path(directory))
    except KeyboardInterrupt:
        print("\nInterrupted; the servers it started are stopped.", file=sys.stderr)
        return 130
    for figures, load, cpu_ms in paced:
        _print_paced(figures, load, cpu_ms)
    _print_results(line, bare)
    return 0


def _run(wrk: str, args: argparse.Namespace, work: Path) -> tuple[list[Paced], Figures, Figures]:
    """Write the traffic, then (with --rate) pace the line, then load the line and the bare
    app in turn, on one port."""
    workers, threads = _server_threads(args)
    port = loopback.free_port()
    public_url = f"http://{HOST}:{port}"
    mix, total = _write_traffic(work, args, public_url)
    _print_header(args, workers, threads, mix)
    common = {"IVR_WORKERS": workers, "IVR_THREADS": threads}
    line_settings = {
        "IVR_INSTANCE_DIR": str(work / "instance"),
        "IVR_TWILIO_AUTH_TOKEN": TOKEN,
        "IVR_PUBLIC_URL": public_url,
        "IVR_SMS_RATE_LIMIT": SMS_RATE_LIMIT,
        "IVR_SMS_PAGING_LIMIT": SMS_RATE_LIMIT,
    }
    line = Server(
        "the line",
        "ivr:create_app()",
        common | line_settings,
        ("GET", "/healthz"),
        work / "line",
        # Each worker builds the app and migrates the database; on a new database they race to
        # create the tables and one fails to boot. Building it once first is what docs/deploy.md
        # tells a first deployment to do.
        prepare="from ivr import create_app; create_app()",
    )
    # PYTHONPATH: scripts/bare_app.py
    bare_settings = {"PYTHONPATH": str(HERE)}
    bare = Server(
        "bare Flask endpoint",
        "bare_app:create_app()",
        common | bare_settings,
        ("POST", "/twiml"),
        work / "bare",
    )
    # At a fixed rate: the line, then the bare endpoint (what the client and gunicorn cost).
    paced = [_measure_paced(server, args, port, work) for server in (line, bare) if args.rate]
    figures = (
        _measure(line, wrk, args, public_url, port),
        _measure(bare, wrk, args, public_url, port),
    )
    # The line keeps each call step's TwiML; a request it has seen before costs it less.
    print(f"The line's run went {figures[0].requests / total:.2f} times through the traffic.")
    return (paced, *figures)


Paced = tuple[load_paced.PacedFigures, str, float | None]  # figures, load average, CPU ms


def _measure_paced(server: Server, args: argparse.Namespace, port: int, work: Path) -> Paced:
    """A server at a fixed rate: warmed up at that rate, then measured; and the load average."""
    host = f"{HOST}:{port}"
    name = server.files.name
    files = [work / f"{name}-{thread}.tsv" for thread in range(args.threads)]
    warmup = [work / f"warmup-{name}-{thread}.tsv" for thread in range(args.threads)]
    with _running(server, port) as running:
        if args.warmup:
            load_paced.run(
                HOST, port, load_paced.read_requests(warmup, host), args.rate, args.warmup
            )
        requests = load_paced.read_requests(files, host)
        cpu_before = _cpu_seconds(running.process.pid)
        figures = load_paced.run(HOST, port, requests, args.rate, args.duration, server.name)
        cpu_after = _cpu_seconds(running.process.pid)
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    return figures, " ".join(load), _per_request_ms(cpu_before, cpu_after, figures.sent)


def _print_paced(figures: load_paced.PacedFigures, load: str, cpu_ms: float | None) -> None:
    p99 = figures.percentile(0.99)
    met = p99 <= TARGET_P99_MS and not figures.errors
    cpu = f"{cpu_ms:.2f}" if cpu_ms is not None else "?"
    print(
        f"{figures.name} at {figures.rate:g} webhooks/s for {figures.seconds:g} s (open loop, "
        f"a new connection each): {figures.sent:,} sent, {figures.errors} errors; latency p50 "
        f"{figures.percentile(0.5):.2f} ms, p99 {p99:.2f} ms, p99.9 {figures.percentile(0.999):.2f}"
        f" ms, max {figures.latencies_ms[-1] if figures.latencies_ms else math.nan:.2f} ms; "
        f"server CPU {cpu} ms/request; the client sent at most {figures.late_ms:.1f} ms late; "
        f"load average after: {load}"
    )
    if figures.name == "the line":
        print(
            f"(target at {figures.rate:g}/s: p99 at most {TARGET_P99_MS:g} ms and no errors: "
            f"{'met' if met else 'MISSED'})"
        )
    print()


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds per server (15)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up, not counted")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument(
        "--requests",
        type=int,
        default=40_000,
        help="signed requests to send, cycled if the run outlasts them (40,000)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        help="first send the line this many webhooks per second (an open loop) for --duration "
        "and print p50/p99/p99.9, then the saturation runs",
    )
    parser.add_argument("--workers", type=int, help="gunicorn workers (IVR_WORKERS or the conf)")
    parser.add_argument("--server-threads", type=int, help="gunicorn threads (IVR_THREADS, conf)")
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 600 or not 0 <= args.warmup <= 60:
        parser.error("--duration must be 1-600 seconds and --warmup 0-60")
    if args.rate is not None and not 1 <= args.rate <= 5000:
        parser.error("--rate must be 1-5000 webhooks per second")
    if args.connections < args.threads or args.threads < 1:
        parser.error("--connections must be at least --threads, and --threads at least 1")
    return args


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _server_threads(args: argparse.Namespace) -> tuple[str, str]:
    """Workers and threads, from the options or else from ivr/gunicorn_conf.py itself."""
    conf = importlib.import_module("ivr.gunicorn_conf")
    return str(args.workers or conf.workers), str(args.server_threads or conf.threads)


def _settings(server: Server) -> dict[str, str]:
    """The server's settings over the few kept from the shell (KEPT_SETTINGS)."""
    kept = {k: os.environ[k] for k in KEPT_SETTINGS if os.environ.get(k)}
    return kept | dict(server.settings) | {"IVR_ACCESS_LOG": str(server.access_log)}


def _write_traffic(work: Path, args: argparse.Namespace, public_url: str) -> tuple[str, int]:
    """Write the line's and the bare app's request files, measured run and warm-up apart.

    Returns a description of the measured traffic and how many webhooks it holds.
    """
    measured = Traffic(seed=7, area_code="202").sessions(args.requests)
    warmup = Traffic(seed=8, area_code="303").sessions(max(args.requests // 4, 200))
    for name, sessions in (("line", measured), ("warmup-line", warmup)):
        for thread in range(args.threads):
            stream = interleave(sessions[thread :: args.threads])
            for prefix, bare_path in ((name, ""), (name.replace("line", "bare"), "/twiml")):
                path = work / f"{prefix}-{thread}.tsv"
                write_requests(path, stream, TOKEN, public_url, bare_path)
    webhooks = [webhook for session in measured for webhook in session]
    return count(webhooks).describe(), len(webhooks)


def _measure(
    server: Server, wrk: str, args: argparse.Namespace, public_url: str, port: int
) -> Figures:
    """Start the server, warm it up, load it for the set time, and read what it logged."""
    prefix = server.files
    warmup_prefix = prefix.with_name("warmup-" + prefix.name)
    with _running(server, port) as running:
        process = running.process
        try:
            if args.warmup:
                _wrk(wrk, args, public_url, warmup_prefix, args.warmup)
            time.sleep(0.5)  # let the warm-up's last responses reach the access log
            offset = server.access_log.stat().st_size if server.access_log.exists() else 0
            cpu_before = _cpu_seconds(process.pid)
            result = _wrk(wrk, args, public_url, prefix, args.duration)
            time.sleep(0.5)
            cpu_after = _cpu_seconds(process.pid)
        except WrkFailed as failure:
            raise SystemExit(f"{failure}\n{server.name}'s log ends:\n{_tail(server.log)}") from None
    statuses = _access_log(server.access_log, offset)
    log_errors, log_warnings = _log_levels(server.log)
    return Figures(
        name=server.name,
        requests=result["requests"],
        seconds=result["duration_us"] / 1e6,
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        socket_errors=sum(result[k] for k in ("connect", "read", "write", "timeout")),
        non_2xx=max(statuses["non_2xx"], result["status"]),
        bytes_per_response=result["bytes"] / max(result["requests"], 1),
        log_errors=log_errors,
        log_warnings=log_warnings,
        empty_sms=statuses["empty_sms"],
        sms=statuses["sms"],
        cpu_ms=_per_request_ms(cpu_before, cpu_after, result["requests"]),
    )


@contextlib.contextmanager
def _running(server: Server, port: int) -> Iterator[loopback.Server]:
    """gunicorn with the repository's production settings, stopped however this ends."""
    settings = _settings(server)
    if server.prepare:
        env = loopback.environment(settings)
        prepare = [sys.executable, "-c", server.prepare]
        with server.log.open("ab") as log:
            if subprocess.run(prepare, cwd=ROOT, env=env, stdout=log, stderr=log).returncode:
                raise SystemExit(f"{server.name} could not be prepared:\n{_tail(server.log)}")
    try:
        # Its own process group: Ctrl-C reaches this script alone, which stops it.
        with loopback.production_server(
            settings,
            server.log,
            port=port,
            app=server.app,
            ready=server.ready,
            start_seconds=STARTUP_TIMEOUT_S,
            cwd=ROOT,
        ) as running:
            yield running
    except loopback.StartFailed as failure:  # raised only while it starts
        raise SystemExit(f"{server.name} did not start: {failure}") from None


def _cpu_seconds(master: int) -> float | None:
    """CPU time used so far by gunicorn's master and its workers, from /proc; None elsewhere.

    Workers that have exited (max_requests restarts them) count through the master's
    cutime and cstime, the times of the children it has reaped.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    try:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                # Fields after the command's closing bracket: state, ppid, ... then utime,
                # stime, cutime, cstime at 11 to 14.
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
                if int(entry.name) == master:
                    total += sum(int(field) for field in fields[11:15])
                elif int(fields[1]) == master:
                    total += int(fields[11]) + int(fields[12])
    except OSError:
        return None
    return total / ticks


def _per_request_ms(before: float | None, after: float | None, requests: int) -> float | None:
    if before is None or after is None or not requests:
        return None
    return (after - before) * 1000 / requests


def _wrk(
    wrk: str, args: argparse.Namespace, public_url: str, prefix: Path, seconds: int
) -> dict[str, int]:
    """Run wrk for `seconds` with load.lua over the request files at prefix; its figures."""
    command = [
        wrk,
        f"--threads={args.threads}",
        f"--connections={args.connections}",
        f"--duration={seconds}s",
        f"--timeout={WRK_TIMEOUT_S}s",
        f"--script={LUA}",
        public_url + "/",
        "--",
        str(prefix),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith("WRK "):
            return json.loads(line[4:])
    raise WrkFailed(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def _access_log(path: Path, offset: int) -> dict[str, int]:
    """Non-2xx responses, SMS webhooks and empty SMS replies logged after offset."""
    tally = {"non_2xx": 0, "sms": 0, "empty_sms": 0}
    if not path.exists():
        return tally
    with path.open("rb") as log:
        log.seek(offset)
        text = log.read().decode("utf-8", "replace")
    for match in ACCESS_LINE.finditer(text):
        if not match["status"].startswith("2"):
            tally["non_2xx"] += 1
        if match["path"] == "/sms":
            tally["sms"] += 1
            # <?xml ...?><Response /> with no <Message>: the line chose to send nothing.
            if match["bytes"].isdigit() and int(match["bytes"]) < 80:
                tally["empty_sms"] += 1
    return tally


def _log_levels(path: Path) -> tuple[int, int]:
    """Error and warning lines the server logged: the app's JSON lines and gunicorn's own."""
    errors = warnings = 0
    for line in path.read_text("utf-8", "replace").splitlines():
        if re.search(r'"level": "(ERROR|CRITICAL)"|\[(ERROR|CRITICAL)\]', line):
            errors += 1
        elif re.search(r'"level": "WARNING"|\[WARNING\]', line):
            warnings += 1
    return errors, warnings


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text("utf-8", "replace").splitlines()[-lines:])


def _print_header(args: argparse.Namespace, workers: str, threads: str, mix: str) -> None:
    database = os.environ.get("IVR_DATABASE_URL", "")
    where = (
        make_url(database).render_as_string(hide_password=True)
        if database
        else "SQLite in a throwaway folder (WAL; synchronous=FULL for opt-outs, NORMAL otherwise)"
    )
    print(
        f"Load: {args.duration} s per server after {args.warmup} s of warm-up, "
        f"{args.connections} connections, {args.threads} wrk threads, {HOST} only."
    )
    print(f"Machine: {_machine()}")
    print(
        f"Server: gunicorn {gunicorn.__version__} -c python:ivr.gunicorn_conf, "
        f"{workers} workers x {threads} threads (gthread), access log to a file."
    )
    print(f"Database: {where}, migrated once before gunicorn starts (see docs/deploy.md).")
    print(
        f"SMS rate limits: IVR_SMS_RATE_LIMIT and IVR_SMS_PAGING_LIMIT={SMS_RATE_LIMIT} "
        "(production defaults 10/minute;100/day and 20/minute;200/day), so that the limiter "
        "does not turn the load into empty replies."
    )
    print(f"Traffic: {args.requests:,}+ signed webhooks (cycled if the run outlasts them): {mix}.")
    print()


def _machine() -> str:
    """Cores, memory, CPU model and Python version, as /proc and the interpreter tell them."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        memory = f"{kib / 1024**2:.1f} GiB, "
    return f"{os.cpu_count()} cores, {memory}{model}, Python {platform.python_version()}"


def _print_results(line: Figures, bare: Figures) -> None:
    columns = ("requests/s", "p50 ms", "p99 ms", "errors", "bytes/resp", "CPU ms/req")
    print(f"{'':22}" + "".join(f"{column:>12}" for column in columns))
    for figures in (line, bare):
        cpu = f"{figures.cpu_ms:.2f}" if figures.cpu_ms is not None else "?"
        print(
            f"{figures.name:22}{figures.rps:>12.1f}{figures.p50_ms:>12.2f}{figures.p99_ms:>12.2f}"
            f"{figures.errors:>12}{figures.bytes_per_response:>12.0f}{cpu:>12}"
        )
    print("(CPU ms/req: the server's CPU time, master and workers, per request answered)")
    for figures in (line, bare):
        print(
            f"{figures.name}: {figures.requests:,} requests in {figures.seconds:.1f} s; "
            f"{figures.non_2xx} non-2xx, {figures.socket_errors} socket errors; server log: "
            f"{figures.log_errors} errors, {figures.log_warnings} warnings"
        )
    if line.sms:
        print(
            f"SMS replies with no message: {line.empty_sms:,} of {line.sms:,} "
            "(opt-outs, texts from numbers that opted out, Twilio's own STOP words)"
        )
    ratio = line.rps / bare.rps if bare.rps else 0.0
    met = ratio >= TARGET_RATIO and line.errors == 0 and bare.errors == 0
    print(
        f"ratio (line / bare): {ratio:.0%} (target: at least {TARGET_RATIO:.0%} and no errors: "
        f"{'met' if met else 'MISSED'})"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
