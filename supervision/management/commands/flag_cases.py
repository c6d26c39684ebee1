from django.core.management.base import BaseCommand

from supervision.sweep import sweep


class Command(BaseCommand):
    help = "Runs the supervision flag sweep now (the same job beat runs hourly)."

    def handle(self, *args, **options):
        result = sweep()
        detail = ", ".join(f"{reason} {n}" for reason, n in result.raised.items() if n)
        self.stdout.write(
            f"Raised {result.raised_total} flags{f' ({detail})' if detail else ''}; "
            f"resolved {result.resolved}; notified {result.notified}."
        )
