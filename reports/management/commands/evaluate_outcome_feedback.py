"""How well the not-on-track boundaries predict recovery, on finished courses held
out from their estimation (reports/feedback_evaluation.py):

    python manage.py evaluate_outcome_feedback --service DEMO1 [--percentile 0.75] [--min-sample 30]

Prints, at sessions 2, 3 and 4, sensitivity (eventually not recovered and
flagged) and specificity (eventually recovered and not flagged), with counts.
Aggregates only: no patient is named."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Service
from reports.feedback_evaluation import evaluate


def _percent(value):
    return "n/a" if value is None else f"{100 * value:.1f}%"


class Command(BaseCommand):
    help = "Evaluate the outcome-feedback boundaries on held-out finished courses."

    def add_arguments(self, parser):
        parser.add_argument("--service", help="ODS code (default: every service)")
        parser.add_argument("--percentile", type=float, default=0.75)
        parser.add_argument("--min-sample", type=int, default=30)

    def handle(self, *args, service=None, percentile, min_sample, **options):
        services = Service.objects.order_by("pk")
        if service:
            services = services.filter(ods_code=service)
            if not services.exists():
                raise CommandError(f"No service with ODS code {service}.")
        for svc in services:
            self.stdout.write(f"{svc.ods_code}: boundary at the {percentile:.0%} percentile, min {min_sample} courses")
            self.stdout.write("session  recovered  not recovered  sensitivity  specificity  no boundary")
            for e in evaluate(service_id=svc.pk, percentile=percentile, min_sample=min_sample):
                self.stdout.write(
                    f"{e.session_number:>7}  {e.recovered:>9}  {e.not_recovered:>13}  {_percent(e.sensitivity):>11}"
                    f"  {_percent(e.specificity):>11}  {e.without_boundary:>11}"
                )
