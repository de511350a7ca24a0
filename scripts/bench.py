"""Runs the benchmarks in scripts/bench_*.py and prints their figures.

Each bench_<name>.py defines run(line: BenchLine) -> None and prints its own table, and may define
add_options(parser) for options of its own, which run reads in line.options; the shared pieces
(a built app on a temporary SQLite database, signed requests, percentiles) live here.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from ivr import create_app

HERE = Path(__file__).resolve().parent
TOKEN = "bench-token"
PUBLIC_URL = "https://bench.example.org"


@dataclass
class BenchLine:
    """A line built for benchmarking, and a client that signs like Twilio."""

    app: Flask
    client: FlaskClient
    # The command line, with the options benchmarks add (bench_audio's --asr, say).
    options: argparse.Namespace = field(default_factory=argparse.Namespace)

    def post(self, path: str, form: Mapping[str, str]) -> tuple[float, float]:
        """POST a signed webhook: seconds until the response, and until work after it is done."""
        signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL + path, dict(form))
        headers = {"X-Twilio-Signature": signature}
        start = time.perf_counter()
        response = self.client.post(path, data=dict(form), headers=headers)
        response.get_data()
        answered = time.perf_counter()
        response.close()  # runs what the view deferred until after the response
        done = time.perf_counter()
        if not 200 <= response.status_code < 300:
            raise SystemExit(f"{path} answered {response.status_code}")
        return answered - start, done - start

    def time_route(
        self,
        path: str,
        form: Mapping[str, str],
        repeat: int = 300,
        warmup: int = 20,
        before: Callable[[], None] = lambda: None,
    ) -> tuple[tuple[float, float], tuple[float, float]]:
        """(median, p99) ms until the response, and until the worker is free again.

        before runs ahead of every request, untimed (to empty a cache, say).
        """
        for _ in range(warmup):
            before()
            self.post(path, form)
        samples = []
        for _ in range(repeat):
            before()
            samples.append(self.post(path, form))
        return percentiles([a for a, _ in samples]), percentiles([b for _, b in samples])


def percentiles(samples: list[float]) -> tuple[float, float]:
    """Median and 99th percentile of samples, in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000


def time_calls(
    call: Callable[[], object], repeat: int = 300, warmup: int = 20
) -> tuple[float, float]:
    """Run call repeatedly and return its median and p99 time in milliseconds."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


def build_line(directory: Path, options: argparse.Namespace | None = None) -> BenchLine:
    """A line on a throwaway SQLite database, as the tests build it."""
    app = create_app(
        {
            "TWILIO_AUTH_TOKEN": TOKEN,
            "PUBLIC_URL": PUBLIC_URL,
            "INSTANCE_DIR": str(directory),
            # As scripts/load does: the limiter counts every text, but lets the traffic through.
            "SMS_RATE_LIMIT": "1000000/minute",
            "SMS_PAGING_LIMIT": "1000000/minute",
        }
    )
    return BenchLine(app, app.test_client(), options or argparse.Namespace())


def main(argv: list[str]) -> None:
    """Run every benchmark, or the ones named."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="voice, sms, audio ... (default: all)")
    available = {path.stem.removeprefix("bench_"): path for path in sorted(HERE.glob("bench_*.py"))}
    # Every benchmark is loaded before the command line is read, so that --help shows its options.
    modules = {name: _load(name, path) for name, path in available.items()}
    for module in modules.values():
        if hasattr(module, "add_options"):
            module.add_options(parser)
    args = parser.parse_args(argv)
    names = args.names or list(available)
    for name in names:
        if name not in available:
            raise SystemExit(f"no benchmark {name!r}; there are: {', '.join(available)}")
        with tempfile.TemporaryDirectory() as directory:
            print(f"== {name} ==")
            modules[name].run(build_line(Path(directory), args))
            print()


def _load(name: str, path: Path) -> ModuleType:
    """The benchmark module in path."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    main(sys.argv[1:])
