"""Deletes the records past their retention period (accounts/retention.py):

    python manage.py purge_records --dry-run          # counts only, deletes nothing
    python manage.py purge_records                    # every record class
    python manage.py purge_records --class access_log

Counts first, always; then deletes set-based in one transaction per record class
and writes one audit entry per purge (action "purge", with the counts, the
cutoff and the retention schedule's version)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.retention import SCHEDULE, SCHEDULE_VERSION, RetentionConfigurationError, retention_years
from patients import purge
from sessions import drafts as session_drafts


class Command(BaseCommand):
    help = "Delete records past their retention period (count first; --dry-run deletes nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; delete nothing")
        parser.add_argument(
            "--class",
            dest="record_classes",
            action="append",
            choices=sorted(SCHEDULE),
            help="Record class to purge (repeatable; default: all)",
        )

    def handle(self, *args, dry_run=False, record_classes=None, **options):
        classes = record_classes or list(SCHEDULE)
        try:
            periods = {name: retention_years(name) for name in classes}
        except RetentionConfigurationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Retention schedule {SCHEDULE_VERSION}")
        for name in classes:
            counts = purge.records_count(record_class=name)
            cutoff = purge.cutoff_for(name)
            self.stdout.write(f"{name}: {periods[name]} years, before {cutoff:%d/%m/%Y}")
            for label, count in counts.items():
                self.stdout.write(f"  {label}: {count}")
            if dry_run:
                continue
            deleted = purge.records_purge(record_class=name)
            self.stdout.write(self.style.SUCCESS(f"  deleted {sum(deleted.values())} rows"))
        if not record_classes:
            # Unsaved session-form drafts (issue 15), kept DRAFT_RETENTION_DAYS days.
            due, days = session_drafts.drafts_due()
            self.stdout.write(f"session_drafts: {days} days\n  {session_drafts.DRAFT_MODEL}: {due.count()}")
            if not dry_run:
                self.stdout.write(self.style.SUCCESS(f"  deleted {session_drafts.drafts_purge()} rows"))
        if dry_run:
            self.stdout.write("Dry run: nothing deleted.")
