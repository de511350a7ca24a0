"""Several line servers on one machine, on real parts: nginx, two gunicorns, PostgreSQL, Redis.

For scripts/cluster and tests/test_cluster.py: nginx from Debian (with the configuration in
deploy/nginx-cluster.conf) in front of two production servers (gunicorn with
ivr/gunicorn_conf.py, via ivr.loopback) on loopback ports, both on one PostgreSQL and one
Redis, with IVR_TRUST_PROXY on. Every process started here is stopped however the block ends.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ivr import loopback
from ivr.config import REPO_ROOT

HOST = loopback.HOST
NGINX_CONF = REPO_ROOT / "deploy" / "nginx-cluster.conf"
START_SECONDS = 30
STOP_SECONDS = 10
# Debian puts nginx under /usr/sbin, which is not on every user's PATH.
_SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/bin"])
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Missing(RuntimeError):
    """A program the cluster needs is not installed; the message says which package has it."""


def program(name: str, package: str) -> str:
    """The path of an installed program, or Missing naming the Debian package to install."""
    found = shutil.which(name, path=_SEARCH_PATH)
    if not found:
        raise Missing(f"{name} is not installed: apt-get install {package}")
    return found


@dataclass
class Child:
    """A server process in its own process group, with its output in a log file."""

    process: subprocess.Popen[bytes]
    log: Path

    def stop(self, signum: int = signal.SIGTERM) -> None:
        """Signal the group (SIGTERM: a clean stop; SIGKILL: a crash), then wait for it."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signum)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=STOP_SECONDS)


def _start(command: list[str], log: Path, ready: Callable[[], bool], what: str) -> Child:
    with log.open("ab") as output:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    child = Child(process, log)
    deadline = time.monotonic() + START_SECONDS
    while not ready():
        try:
            code: int | None = process.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            code = None
        if code is not None or time.monotonic() > deadline:
            child.stop(signal.SIGKILL)
            why = f"exited ({code})" if code is not None else f"did not answer in {START_SECONDS} s"
            raise loopback.StartFailed(f"{what} {why}:\n{log.read_text(errors='replace')[-4000:]}")
    return child


# -- Redis -------------------------------------------------------------------------------------


@dataclass
class Redis:
    """redis-server on a loopback port, keeping nothing on disk; stop() and start() again."""

    port: int
    directory: Path
    child: Child | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> None:
        command = [
            program("redis-server", "redis-server"),
            "--port", str(self.port),
            "--bind", HOST,
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.directory),
            "--daemonize", "no",
        ]  # fmt: skip
        self.child = _start(command, self.directory / "redis.log", self.answers, "redis-server")

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop()
            self.child = None

    def answers(self) -> bool:
        """True when PING gets PONG."""
        try:
            with socket.create_connection((HOST, self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(64).startswith(b"+PONG")
        except OSError:
            return False


def flush_redis(url: str) -> None:
    """Empty the Redis at url (one shared between tests starts each test empty)."""
    where = urlsplit(url)
    with socket.create_connection((where.hostname, where.port or 6379), timeout=2) as connection:
        connection.sendall(b"FLUSHALL\r\n")
        if not connection.recv(64).startswith(b"+OK"):
            raise RuntimeError(f"Redis at {url} did not flush")


@contextmanager
def redis_server(directory: Path, port: int | None = None) -> Iterator[Redis]:
    """A throwaway redis-server (Debian's) on a free loopback port, stopped when the block ends."""
    redis = Redis(port or loopback.free_port(), directory)
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


# -- PostgreSQL --------------------------------------------------------------------------------


@contextmanager
def postgres_server(port: int | None = None) -> Iterator[str]:
    """A throwaway PostgreSQL cluster (Debian's) on a loopback port; yields its URL.

    Its data lives in a folder of its own under the temporary directory, removed at the end.
    As root, the server runs as the postgres user (PostgreSQL refuses to run as root).
    """
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not bins:
        raise Missing("PostgreSQL is not installed: apt-get install postgresql")
    pg_bin, port = bins[-1], port or loopback.free_port()
    with tempfile.TemporaryDirectory(prefix="ivr-pg-") as directory:
        data = Path(directory) / "data"
        as_user: list[str] = []
        if os.geteuid() == 0:
            as_user = ["runuser", "-u", "postgres", "--"]
            Path(directory).chmod(0o755)
            data.mkdir(mode=0o700)
            shutil.chown(data, "postgres")
        _run_or_fail([*as_user, str(pg_bin / "initdb"), "-D", str(data), "-A", "trust"], "initdb")
        options = f"-p {port} -k {data} -c listen_addresses={HOST} -c fsync=on"
        ctl = [*as_user, str(pg_bin / "pg_ctl"), "-D", str(data)]
        _run_or_fail([*ctl, "-l", str(data / "server.log"), "-w", "-o", options, "start"], "pg_ctl")
        try:
            yield f"postgresql://postgres@{HOST}:{port}/postgres"
        finally:
            subprocess.run([*ctl, "-m", "fast", "-w", "stop"], capture_output=True, check=False)


def _run_or_fail(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise loopback.StartFailed(f"{what} failed ({done.returncode}):\n{done.stderr}")


# -- nginx -------------------------------------------------------------------------------------


def nginx_config(run_dir: Path, proxy_port: int, line_ports: tuple[int, int]) -> str:
    """deploy/nginx-cluster.conf with its @...@ words filled in."""
    text = NGINX_CONF.read_text()
    for word, value in {
        "@RUN_DIR@": str(run_dir),
        "@PROXY_PORT@": str(proxy_port),
        "@LINE_1_PORT@": str(line_ports[0]),
        "@LINE_2_PORT@": str(line_ports[1]),
    }.items():
        text = text.replace(word, value)
    return text


@contextmanager
def nginx_proxy(run_dir: Path, proxy_port: int, line_ports: tuple[int, int]) -> Iterator[Child]:
    """nginx (Debian's) with deploy/nginx-cluster.conf, in the foreground; stopped at the end."""
    run_dir.mkdir(parents=True, exist_ok=True)
    run_dir.chmod(0o755)  # nginx's workers run as another user when the master is root
    conf = run_dir / "nginx.conf"
    conf.write_text(nginx_config(run_dir, proxy_port, line_ports))
    nginx = program("nginx", "nginx")
    command = [nginx, "-c", str(conf), "-p", str(run_dir), "-e", str(run_dir / "nginx-error.log")]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    if check.returncode:
        raise loopback.StartFailed(f"nginx refused its configuration:\n{check.stderr}")

    def listening() -> bool:
        try:
            socket.create_connection((HOST, proxy_port), timeout=1).close()
            return True
        except OSError:
            return False

    child = _start(command, run_dir / "nginx.log", listening, "nginx")
    try:
        yield child
    finally:
        child.stop(signal.SIGQUIT)  # nginx's graceful stop


# -- the cluster -------------------------------------------------------------------------------


@dataclass
class LineServer:
    """One of the line servers: its fixed port, settings and log, running or not."""

    name: str
    port: int
    settings: dict[str, str]
    log: Path
    running: loopback.Server | None = None
    _context: AbstractContextManager[loopback.Server] | None = None

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def start(self) -> float:
        """Start gunicorn on its port and wait until /healthz answers; the seconds it took."""
        began = time.monotonic()
        self._context = loopback.production_server(
            self.settings, self.log, port=self.port, cwd=REPO_ROOT
        )
        self.running = self._context.__enter__()
        return time.monotonic() - began

    def kill(self) -> None:
        """SIGKILL the master and every worker at once, as a crash or the OOM killer would."""
        if self.running is not None and self._context is not None:
            self.running.kill()
            self._context.__exit__(None, None, None)
        self.running = self._context = None

    def stop(self) -> None:
        if self.running is not None and self._context is not None:
            self._context.__exit__(None, None, None)
        self.running = self._context = None


@dataclass
class Cluster:
    """The proxy's public URL, the two line servers behind it, and where everything logs."""

    public_url: str
    servers: list[LineServer]
    redis: Redis
    database_url: str
    hash_secret: str
    token: str
    run_dir: Path
    proxy_log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.proxy_log = self.run_dir / "nginx" / "nginx-access.log"

    def proxied(self) -> list[tuple[float, str, int, str]]:
        """What nginx logged: (time, path, status, upstream addresses) for every request."""
        entries = []
        if self.proxy_log.exists():
            for line in self.proxy_log.read_text(errors="replace").splitlines():
                parts = line.split()
                if len(parts) >= 5 and parts[3].isdigit():
                    entries.append((float(parts[0]), parts[2], int(parts[3]), parts[4]))
        return entries


def migrate(settings: Mapping[str, str], log: Path) -> None:
    """Bring the schema up to date once, alone, before any server starts (docs/deploy.md)."""
    env = loopback.environment(settings)
    code = "from ivr import create_app; create_app()"
    with log.open("ab") as output:
        done = subprocess.run(
            [loopback.GUNICORN[0], "-c", code], env=env, cwd=REPO_ROOT, stdout=output, stderr=output
        )
    if done.returncode:
        raise loopback.StartFailed(f"the migration failed:\n{log.read_text()[-4000:]}")


@contextmanager
def line_cluster(
    database_url: str,
    redis: Redis,
    token: str,
    settings: Mapping[str, str] | None = None,
    *,
    workers: int = 2,
    run_dir: Path | None = None,
    proxy_port: int | None = None,
) -> Iterator[Cluster]:
    """nginx on a loopback port in front of two production servers, on one database and Redis.

    settings (IVR_* variables) go to both servers over the cluster's own; the schema is
    migrated once before the servers start.
    """
    with ExitStack() as stack:
        if run_dir is None:
            run_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ivr-cluster-")))
        proxy_port = proxy_port or loopback.free_port()
        public_url = f"http://{HOST}:{proxy_port}"
        hash_secret = os.urandom(32).hex()
        common = {
            "IVR_TWILIO_AUTH_TOKEN": token,
            "IVR_PUBLIC_URL": public_url,
            "IVR_TRUST_PROXY": "true",
            "IVR_DATABASE_URL": database_url,
            "IVR_HASH_SECRET": hash_secret,
            "IVR_RATELIMIT_STORAGE_URL": redis.url,
            "IVR_WORKERS": str(workers),
            "NO_PROXY": "127.0.0.1,localhost",
        } | dict(settings or {})
        servers = []
        for index in (1, 2):
            instance = run_dir / f"line-{index}"
            instance.mkdir(parents=True, exist_ok=True)
            own = {
                "IVR_INSTANCE_DIR": str(instance),
                "IVR_ACCESS_LOG": str(instance / "access.log"),
            }
            servers.append(
                LineServer(
                    f"line-{index}", loopback.free_port(), common | own, instance / "server.log"
                )
            )
        migrate(servers[0].settings, run_dir / "migrate.log")
        for server in servers:
            stack.callback(server.stop)
            server.start()
        ports = (servers[0].port, servers[1].port)
        stack.enter_context(nginx_proxy(run_dir / "nginx", proxy_port, ports))
        cluster = Cluster(public_url, servers, redis, database_url, hash_secret, token, run_dir)
        _wait_for_health(public_url)
        yield cluster


def _wait_for_health(url: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            with _DIRECT.open(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.05)
