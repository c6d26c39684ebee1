from datetime import timedelta

from django.core.management.base import BaseCommand

from outbox.models import OutboxMessage
from outbox.services import outbox_relay


class Command(BaseCommand):
    help = "Publishes the outbox messages a broker outage left unsent (beat also runs this every minute)."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=0, help="Only messages at least this many seconds old")

    def handle(self, *args, older_than: int, **options):
        sent = outbox_relay(older_than=timedelta(seconds=older_than))
        waiting = OutboxMessage.objects.filter(sent_at__isnull=True).count()
        self.stdout.write(f"Published {sent} message(s); {waiting} still waiting.")
