from django.core.management.base import BaseCommand

from supervision.sweep import sweep


class Command(BaseCommand):
    help = (
        "Runs the supervision flag sweep now: incremental, as beat runs it hourly, "
        "or with --full over every open case, as beat runs it nightly."
    )

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="Evaluate every criterion for every open case.")

    def handle(self, *args, **options):
        result = sweep(full=options["full"])
        detail = ", ".join(f"{reason} {n}" for reason, n in result.raised.items() if n)
        self.stdout.write(
            f"Raised {result.raised_total} flags{f' ({detail})' if detail else ''}; "
            f"resolved {result.resolved}; notified {result.notified}."
        )
