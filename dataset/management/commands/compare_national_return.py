"""Lists every referral where NHS England's derivation (a returned pre- or
post-deadline extract, XML) differs from the product's derivation of the same
month's extract (dataset/returns.py):

    python manage.py compare_national_return RETURN.xml --extract EXTRACT_ID

Exit status 1 when anything differs, so a script can stop on it. Prints
submitted ids and derived values only: no names, no NHS numbers."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dataset.derivations import derive
from dataset.extract import read_extract
from dataset.models import DatasetExtract, ExtractStatus
from dataset.returns import compare, read_return


class Command(BaseCommand):
    help = "Compare NHS England's returned derivations with the product's for a built extract."

    def add_arguments(self, parser):
        parser.add_argument("return_file", help="The XML file NHS England sent back")
        parser.add_argument("--extract", required=True, help="The id of the built extract it answers")

    def handle(self, *args, return_file, extract, **options):
        try:
            built = DatasetExtract.objects.get(pk=extract, status=ExtractStatus.DONE)
        except (DatasetExtract.DoesNotExist, ValueError) as exc:
            raise CommandError("No built extract with that id.") from exc
        try:
            national = read_return(return_file)
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {return_file}: {exc}") from exc
        derived = derive(read_extract(Path(settings.EXPORT_ROOT) / built.file_path))
        differences = compare(national, derived)
        for d in differences:
            self.stdout.write(f"{d.service_request_id}\t{d.field}\tNHS England: {d.national}\tproduct: {d.product}")
        self.stdout.write(
            f"{len(national)} referrals in the return, {len(derived)} in the extract, {len(differences)} difference(s)."
        )
        if differences:
            raise SystemExit(1)
