import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iapt.settings.local")

app = Celery("iapt")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
