from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from iapt.demo import DEMO_LOGINS, load_demo


class Command(BaseCommand):
    help = "Loads the demo service (idempotent: a second run changes nothing). Never in production."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=300)

    def handle(self, *args, patients, **options):
        if not settings.DEMO_ENABLED:
            raise CommandError("Demo data is disabled in these settings (DEMO_ENABLED is false).")
        result = load_demo(patients=patients)
        if result["created"]:
            self.stdout.write(self.style.SUCCESS(f"Demo service loaded: {len(result['referrals'])} referrals."))
        else:
            self.stdout.write("Demo service already loaded; nothing changed.")
        self.stdout.write(f"Demo logins: {', '.join(DEMO_LOGINS)} (password from DEMO_PASSWORD)")
