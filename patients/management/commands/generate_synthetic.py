"""Builds a synthetic national year through the real schema (bench/synthetic.py).

    python manage.py generate_synthetic --referrals 2000000

Synthetic data only: NHS numbers in the 99 range, no real person. Refused when
DEMO_ENABLED is false (production settings)."""

from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bench.synthetic import generate


class Command(BaseCommand):
    help = "Generate a synthetic year of referrals, sessions, measures and supervision (set-based SQL)."

    def add_arguments(self, parser):
        parser.add_argument("--referrals", type=int, required=True, help="How many referrals (national: 2000000)")
        parser.add_argument("--seed", type=int, default=1, help="The same seed gives the same year")
        parser.add_argument("--today", type=date.fromisoformat, help="The year ends the day before (YYYY-MM-DD)")
        parser.add_argument("--heavy-caseload", type=int, default=250, help="Open cases of one PWP (benchmark 4)")
        indexes = parser.add_mutually_exclusive_group()
        indexes.add_argument("--drop-indexes", dest="drop_indexes", action="store_true", default=None)
        indexes.add_argument("--keep-indexes", dest="drop_indexes", action="store_false")

    def handle(self, *args, **options):
        if not settings.DEMO_ENABLED:
            raise CommandError("Synthetic data is disabled in these settings (DEMO_ENABLED is false).")
        if options["referrals"] < 1:
            raise CommandError("--referrals must be at least 1.")
        try:
            result = generate(
                referrals=options["referrals"],
                seed=options["seed"],
                today=options["today"],
                drop_indexes=options["drop_indexes"],
                heavy_caseload=options["heavy_caseload"],
                log=self.stdout.write,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.referrals} referrals, {result.sessions} sessions, {result.measures} measures, "
                f"{result.services} services, {result.staff} staff in {result.seconds:.1f} s"
            )
        )
        self.stdout.write(
            "Every referral is queued for its outcome summary: `manage.py refresh_outcomes` (or the beat task) "
            "builds them."
        )
