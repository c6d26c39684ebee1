import os

from celery import Celery

from iapt import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iapt.settings.local")

# Before any broker connection: the transport that survives Redis dying mid-task.
broker.install()
app = Celery("iapt")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
