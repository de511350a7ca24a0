"""The production server as a child process on loopback: started, waited for, stopped.

gunicorn with ivr/gunicorn_conf.py, as production runs it, for the tools that need the real
thing: scripts/load and the tests that kill the server or read its logs. It gets its own
process group and a free loopback port, and is stopped, its group killed, however the
caller's block ends. (`ivr serve` runs gunicorn in its own process instead: ivr/server.py.)
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

HOST = "127.0.0.1"
GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "python:ivr.gunicorn_conf"]
LINE_APP = "ivr:create_app()"
START_SECONDS = 30
STOP_SECONDS = 15
READY_RETRY_SECONDS = 0.05  # between two tries of the ready request
# What the server's output ends with, in the error when it does not start.
_LOG_TAIL_CHARS = 4000
# Loopback, never through a proxy, whatever the shell's *_proxy variables say.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class StartFailed(RuntimeError):
    """The server exited, or did not answer in time; the message ends with its output."""


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


def free_port() -> int:
    """A loopback TCP port nothing listens on, as the system hands them out."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def environment(settings: Mapping[str, str]) -> dict[str, str]:
    """The shell's environment without its IVR_* variables, then settings over it."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("IVR_")}
    return env | dict(settings)


@contextmanager
def production_server(
    settings: Mapping[str, str],
    log: Path,
    *,
    port: int | None = None,
    app: str = LINE_APP,
    ready: tuple[str, str] = ("GET", "/healthz"),
    start_seconds: float = START_SECONDS,
    cwd: Path | None = None,
) -> Iterator[Server]:
    """gunicorn -c python:ivr.gunicorn_conf app on port (else a free one), output into log.

    settings (IVR_* variables and the like) go over environment(); the block starts once the
    ready request (method, path) answers 200, and StartFailed is raised if it never does.
    """
    bind = f"{HOST}:{port or free_port()}"
    # NO_PROXY: the server's own requests to loopback stand-ins (Twilio's API) go direct.
    env = environment({"IVR_BIND": bind, "NO_PROXY": "127.0.0.1,localhost"} | dict(settings))
    with log.open("ab") as output:
        # Its own process group, so the master and its workers can be signalled together.
        process = subprocess.Popen(
            [*GUNICORN, app],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, f"http://{bind}")
    try:
        _wait_until_ready(server, ready, log, start_seconds)
        yield server
    finally:
        server.stop()


def _wait_until_ready(server: Server, ready: tuple[str, str], log: Path, seconds: float) -> None:
    """Poll the ready request until it answers 200; StartFailed if the server dies or hangs."""
    method, path = ready
    deadline = time.monotonic() + seconds
    while True:
        try:
            request = urllib.request.Request(server.url + path, method=method)
            with _DIRECT.open(request, timeout=1) as response:
                response.read()
                if response.status == 200:
                    return
        except OSError:
            pass
        try:
            # Wait on the server itself between tries: an exit ends the wait at once.
            code: int | None = server.process.wait(timeout=READY_RETRY_SECONDS)
        except subprocess.TimeoutExpired:
            code = None
        if code is not None or time.monotonic() > deadline:
            why = f"exited ({code})" if code is not None else f"did not answer in {seconds:g} s"
            output = log.read_text(errors="replace")[-_LOG_TAIL_CHARS:]
            raise StartFailed(f"gunicorn {why}:\n{output}")


def _signal_group(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        pass


def _wait_until_group_is_gone(group: int) -> None:
    """Wait until no live process (zombies aside) is left in the group."""
    deadline = time.monotonic() + STOP_SECONDS
    while members := _live_members(group):
        if time.monotonic() > deadline:
            raise RuntimeError(f"processes of group {group} outlived SIGKILL")
        for pid in members:
            _wait_for_exit(pid, deadline)


def _wait_for_exit(pid: int, deadline: float) -> None:
    """Block until process pid has exited (its pidfd is readable), or until deadline."""
    try:
        descriptor = os.pidfd_open(pid)
    except ProcessLookupError:
        return  # already gone
    try:
        select.select([descriptor], [], [], max(0.0, deadline - time.monotonic()))
    finally:
        os.close(descriptor)


def _live_members(group: int) -> list[int]:
    """The processes of group that are alive, from /proc (none where there is no /proc)."""
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
