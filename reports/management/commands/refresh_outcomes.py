from django.core.management.base import BaseCommand

from reports.outcome_summary import outcomes_rebuild, outcomes_refresh_all


class Command(BaseCommand):
    help = (
        "Refreshes the stored outcome summaries now: the queued referrals, as beat does every minute, "
        "or with --full every referral (after a restore or a change made with the triggers off)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="Recompute the summary of every referral.")

    def handle(self, *args, **options):
        def log(message: str) -> None:
            self.stdout.write(message)

        written = outcomes_rebuild(log=log) if options["full"] else outcomes_refresh_all(log=log)
        self.stdout.write(f"Outcome summaries written: {written}.")
