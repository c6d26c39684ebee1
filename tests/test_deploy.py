"""The production shape: compose file entry points and Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_services_point_at_real_entry_points():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)
    # exactly one beat: no replicas and no second service running beat
    beat_services = [name for name, svc in services.items() if "beat" in " ".join(svc.get("command", []))]
    assert beat_services == ["beat"]
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1
    web = " ".join(services["web"]["command"])
    assert "gunicorn" in web and "iapt.wsgi:application" in web
    assert (ROOT / "iapt" / "wsgi.py").exists()
    for name in ("worker", "beat"):
        command = services[name]["command"]
        assert command[:3] == ["celery", "-A", "iapt"], command
        assert (ROOT / "iapt" / "celery.py").exists()
    for name, svc in services.items():
        assert "healthcheck" in svc, f"{name} has no health check"
    assert "volumes" in compose and "pgdata" in compose["volumes"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "requirements.txt" in dockerfile and "npm ci" in dockerfile and "collectstatic" in dockerfile


def test_wsgi_and_celery_entry_points_import():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "iapt.settings.test"}
    code = "import iapt.wsgi, iapt.celery; print(iapt.celery.app.main)"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "iapt"


def test_production_settings_pass_check_deploy_without_warnings():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},  # set by the browser tests
        "DJANGO_SETTINGS_MODULE": "iapt.settings.production",
        "DJANGO_SECRET_KEY": "x" * 20 + "production-like-secret-key-value-0123456789-abcdefghijk",
        "DJANGO_ALLOWED_HOSTS": "iapt.example.nhs.uk",
        "PSEUDONYMISATION_KEY": "another-secret-key-for-pseudonyms",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr and "issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env.update({"DJANGO_SETTINGS_MODULE": "iapt.settings.production", "DJANGO_ALLOWED_HOSTS": "x"})
    result = subprocess.run([sys.executable, "manage.py", "check"], env=env, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_the_worker_is_restarted_and_health_checked_by_pinging_it():
    worker = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["worker"]
    assert worker["restart"] == "always"
    assert "inspect ping -d celery@$$HOSTNAME" in " ".join(worker["healthcheck"]["test"])
    from iapt.devservices import WORKER_ARGS

    assert "--without-gossip" in WORKER_ARGS and "--without-gossip" in worker["command"]
