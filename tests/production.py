"""The line as production runs it (gunicorn with ivr/gunicorn_conf.py) on a loopback port.

For tests that kill the server or read its logs: requests go over real HTTP, signed exactly as
Twilio signs them for the public URL the server is told it has (as behind a proxy).
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from werkzeug.wrappers import Response

from .browser import ROOT, free_port
from .twilio_fakes import ACCOUNT_SID

GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "python:ivr.gunicorn_conf", "ivr:create_app()"]
LINE_NUMBER = "+15550001111"  # the line's own number, the To of every webhook
START_SECONDS = 30
STOP_SECONDS = 15
# Twilio waits 15 s for a webhook; a test request waits less, so a hung server fails fast.
REQUEST_SECONDS = 10


class Server:
    """A gunicorn master and its workers, alone in their own process group."""

    def __init__(self, process: subprocess.Popen[bytes], url: str) -> None:
        self.process = process
        self.url = url

    def kill(self) -> None:
        """SIGKILL the master and every worker at once, as a crash or the OOM killer would."""
        _signal_group(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_SECONDS)
        _wait_until_group_is_gone(self.process.pid)

    def stop(self) -> None:
        """Stop gracefully (SIGTERM, as a deploy does), then kill whatever is left."""
        if self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        self.kill()


@contextmanager
def gunicorn_line(settings: Mapping[str, str], log: Path, workers: int = 2) -> Iterator[Server]:
    """Start the production server with settings (IVR_* variables) and output into log.

    It listens on a free loopback port; the server is stopped, and its process group killed,
    however the block ends.
    """
    bind = f"127.0.0.1:{free_port()}"
    env = {name: value for name, value in os.environ.items() if not name.startswith("IVR_")}
    env |= {"IVR_BIND": bind, "IVR_WORKERS": str(workers), "NO_PROXY": "127.0.0.1,localhost"}
    env |= settings
    with log.open("ab") as output:
        # Its own process group, so the master and its workers can be killed together.
        process = subprocess.Popen(
            GUNICORN,
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, f"http://{bind}")
    try:
        _wait_until_up(server, log)
        yield server
    finally:
        server.stop()


def sms_form(number: str, body: str, sid: str) -> dict[str, str]:
    """The form Twilio posts to the messaging webhook for one incoming text."""
    return {
        "ToCountry": "US",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "",
        "To": LINE_NUMBER,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": number,
        "ApiVersion": "2010-04-01",
    }


class LoopbackClient:
    """Enough of FlaskClient.post for signed_post and twilio_fakes.Call, over real HTTP.

    Each request goes on a new connection, as Twilio's do, with Twilio's idempotency token
    (the line's request id); the tokens sent are kept in request_ids. Safe to share between
    threads. A connection that fails or is cut raises OSError or http.client.HTTPException.
    """

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.request_ids: list[str] = []

    def post(self, path: str, data: Mapping[str, str], headers: Mapping[str, str]) -> Response:
        """Send the already signed form to the server and return its answer."""
        request_id = uuid.uuid4().hex
        self.request_ids.append(request_id)
        target = urlsplit(self.server_url)
        connection = http.client.HTTPConnection(target.hostname, target.port, REQUEST_SECONDS)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "TwilioProxy/1.1",
            "I-Twilio-Idempotency-Token": request_id,
            **headers,
        }
        try:
            connection.request("POST", path, body=urlencode(data), headers=headers)
            answer = connection.getresponse()
            return Response(answer.read(), status=answer.status, headers=answer.getheaders())
        finally:
            connection.close()


def _wait_until_up(server: Server, log: Path) -> None:
    """Poll /healthz until the server answers; fail with its output if it dies or hangs."""
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=1) as response:
                response.read()
            return
        except OSError:
            if server.process.poll() is not None or time.monotonic() > deadline:
                output = log.read_text(errors="replace")[-4000:]
                raise RuntimeError(f"gunicorn did not start:\n{output}") from None
            time.sleep(0.05)


def _signal_group(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        pass


def _wait_until_group_is_gone(group: int) -> None:
    """Wait until no live process (zombies aside) is left in the group."""
    deadline = time.monotonic() + STOP_SECONDS
    while _live_members(group):
        if time.monotonic() > deadline:
            raise RuntimeError(f"processes of group {group} outlived SIGKILL")
        time.sleep(0.02)


def _live_members(group: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # After the command name in brackets: state, parent, process group, ...
            state, _parent, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue  # the process ended while being read
        if int(pgrp) == group and state != "Z":
            members.append(int(stat.parent.name))
    return members
