"""Signed webhooks at a fixed rate, as Twilio sends them at a busy hour, and their latency.

An open loop: request i is due at start + i / rate whatever happened to the ones before, so a
slow answer cannot hold back the next request and hide its own cost (wrk's closed loop, and
hey's, would: "coordinated omission"). Each request goes on a new connection, as Twilio's do,
and its latency runs from the moment it was due to the end of its answer, so time spent
waiting for a connection or behind a busy server counts.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REQUEST_TIMEOUT_S = 15  # Twilio gives up on a webhook after 15 s: later counts as an error


@dataclass(frozen=True)
class PacedFigures:
    """What one run at a fixed rate measured."""

    name: str
    rate: float  # requests per second asked for
    sent: int
    seconds: float
    latencies_ms: Sequence[float]  # of the requests answered with a 2xx, sorted
    errors: int  # non-2xx answers, failed connections and timeouts
    late_ms: float  # the most a request was sent after it was due (the client's own lag)

    def percentile(self, fraction: float) -> float:
        if not self.latencies_ms:
            return math.nan
        index = min(
            len(self.latencies_ms) - 1, max(0, math.ceil(fraction * len(self.latencies_ms)) - 1)
        )
        return self.latencies_ms[index]


def read_requests(prefixes: Sequence[Path], host: str) -> list[bytes]:
    """The requests in the .tsv files scripts/load.py writes, as bytes, files taken in turn."""
    streams = []
    for path in prefixes:
        lines = [line.split("\t", 3) for line in path.read_text().splitlines() if line]
        streams.append([_request(host, *fields) for fields in lines])
    merged = []
    for index in range(max(map(len, streams))):
        merged.extend(stream[index] for stream in streams if index < len(stream))
    return merged


def _request(host: str, path: str, signature: str, token: str, body: str) -> bytes:
    encoded = body.encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"X-Twilio-Signature: {signature}\r\nI-Twilio-Idempotency-Token: {token}\r\n"
        "User-Agent: TwilioProxy/1.1\r\nConnection: close\r\n"
        f"Content-Length: {len(encoded)}\r\n\r\n"
    )
    return head.encode() + encoded


def run(
    host: str, port: int, requests: Sequence[bytes], rate: float, seconds: float, name: str = ""
) -> PacedFigures:
    """Send requests (cycled) to host:port at rate per second for seconds; what it measured."""
    return asyncio.run(_run(host, port, requests, rate, seconds, name))


async def _run(
    host: str, port: int, requests: Sequence[bytes], rate: float, seconds: float, name: str
) -> PacedFigures:
    total = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    late = 0.0
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.1

    async def one(due: float, request: bytes) -> None:
        nonlocal errors
        try:
            status = await asyncio.wait_for(_exchange(host, port, request), REQUEST_TIMEOUT_S)
        except (TimeoutError, OSError, ValueError):
            status = 0
        if 200 <= status < 300:
            latencies.append((loop.time() - due) * 1000)
        else:
            errors += 1

    tasks = []
    for index in range(total):
        due = start + index / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        late = max(late, loop.time() - due)
        tasks.append(asyncio.create_task(one(due, requests[index % len(requests)])))
    await asyncio.gather(*tasks)
    return PacedFigures(
        name=name,
        rate=rate,
        sent=total,
        seconds=total / rate,
        latencies_ms=sorted(latencies),
        errors=errors,
        late_ms=late * 1000,
    )


async def _exchange(host: str, port: int, request: bytes) -> int:
    """Send one request on a new connection and read the whole answer; its status."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        await writer.drain()
        answer = await reader.read()  # Connection: close: the server ends it after the answer
    finally:
        writer.close()
    status_line = answer.split(b"\r\n", 1)[0].split()
    return int(status_line[1]) if len(status_line) >= 2 else 0
