"""`manage.py check --deploy` reports a pseudonymisation key that production
would refuse (reports/keys.py)."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from .keys import key_problems


@register(Tags.security, deploy=True)
def pseudonymisation_key_check(app_configs, **kwargs):
    version = getattr(settings, "PSEUDONYMISATION_KEY_VERSION", "1")
    return [
        Error(problem, hint="Generate one, e.g. `openssl rand -base64 48`.", id="reports.E001")
        for problem in key_problems(settings.PSEUDONYMISATION_KEY, version)
    ]
