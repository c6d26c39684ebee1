"""The capacity run's settings (bench/capacity.py, issue 22): the local settings
with the benchmark's URLs, which add the bare authenticated view the run uses
as its reference (bench/urls.py) to the site's own."""

from iapt.settings.local import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
