"""Mix benchmark: the CPU each webhook of scripts/load's traffic costs the line, in process.

The same signed calls and texts scripts/load sends, handed straight to the WSGI app with no
server around it, and the same for the bare endpoint: what is left of the line's CPU per
request once gunicorn's share is taken away, and what each kind of webhook costs.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from bare_app import PATH as BARE_PATH
from bare_app import create_app as create_bare_app
from bench import PUBLIC_URL, TOKEN, BenchLine
from load_traffic import Traffic, Webhook, interleave
from twilio.request_validator import RequestValidator

WEBHOOKS = 6000
PASSES = 3
Environ = dict[str, Any]
Wsgi = Callable[[Environ, Callable[..., object]], Iterable[bytes]]
# A signed request: path, query, body, X-Twilio-Signature, I-Twilio-Idempotency-Token.
Request = tuple[str, str, bytes, str, str]
SIDS = ("CallSid", "MessageSid")


def run(line: BenchLine) -> None:
    """Print the CPU per request of the line, per kind of webhook, and of the bare endpoint."""
    traffic = interleave(Traffic(seed=7, area_code="202").sessions(WEBHOOKS))
    # Every pass sends new calls and texts, as Twilio would: the same webhooks, each call and
    # message under a CallSid or MessageSid of its own, so that no pass's text reads as a
    # retry of an earlier pass's, nor a call as one already seen.
    copies = [_signed(traffic, copy) for copy in range(PASSES + 2)]
    requests = copies[1]
    bookkeeping = line.app.extensions["ivr"].bookkeeping
    _serve(line.app, copies[0][:500])  # warm-up
    bookkeeping.flush()
    passes = []
    for copy in copies[1 : PASSES + 1]:
        start = time.process_time()  # the whole process: the bookkeeping thread included
        _serve(line.app, copy)
        bookkeeping.flush()
        passes.append((time.process_time() - start) / len(copy) * 1e6)
    by_path: dict[str, list[float]] = defaultdict(list)
    for request in copies[-1]:
        start = time.process_time()
        _serve(line.app, [request])
        by_path[request[0]].append((time.process_time() - start) * 1e6)
    bare = create_bare_app()
    bare_requests = [(BARE_PATH, query, body, "", tag) for _, query, body, _, tag in requests]
    _serve(bare, bare_requests[:500])
    start = time.process_time()
    _serve(bare, bare_requests)
    bare_us = (time.process_time() - start) / len(requests) * 1e6

    print(f"{len(requests):,} webhooks of scripts/load's mix, straight to the WSGI app, no server.")
    again = ", ".join(f"{us:.0f}" for us in passes[1:])
    print(
        f"the line: {passes[0]:.0f} us of CPU per webhook ({again} for new calls and texts again)"
    )
    for path, samples in sorted(by_path.items()):
        share = len(samples) / len(requests)
        print(f"  {path:<14} {share:>4.0%} of webhooks, mean {statistics.mean(samples):5.0f} us")
    print(f"the bare endpoint: {bare_us:.0f} us per webhook")
    print("(the bookkeeping thread's CPU counts wherever it runs; the per-kind means include it)")


def _signed(traffic: list[Webhook], copy: int) -> list[Request]:
    """The traffic as signed requests, each CallSid and MessageSid made copy's own."""
    validator = RequestValidator(TOKEN)
    requests = []
    for number, webhook in enumerate(traffic):
        params = {
            name: value[:2] + f"{copy:04x}" + value[6:] if name in SIDS else value
            for name, value in webhook.params.items()
        }
        path, _, query = webhook.path.partition("?")
        signature = validator.compute_signature(PUBLIC_URL + webhook.path, params)
        token = f"{copy:02d}{number:08d}"  # Twilio's idempotency token, one per request
        requests.append((path, query, urlencode(params).encode(), signature, token))
    return requests


def _serve(app: Wsgi, requests: list[Request]) -> None:
    for path, query, body, signature, tag in requests:
        chunks = app(_environ(path, query, body, signature, tag), _start_response)
        b"".join(chunks)
        close = getattr(chunks, "close", None)
        if close:
            close()  # as a server does: work registered for after the response runs


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
    if not status.startswith("2"):
        raise SystemExit(f"a webhook of the mix answered {status}")


def _environ(path: str, query: str, body: bytes, signature: str, tag: str) -> Environ:
    """A WSGI environ for a signed POST to PUBLIC_URL, as a server would build it."""
    host = PUBLIC_URL.split("://", 1)[1]
    return {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": host,
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": host,
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_TWILIO_SIGNATURE": signature,
        "HTTP_I_TWILIO_IDEMPOTENCY_TOKEN": tag,
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
