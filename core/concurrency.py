"""Optimistic concurrency for records two people may edit at once.

Every editable record carries a `version`. A write says which version it read;
the UPDATE compares and swaps in one statement (`WHERE version = read`), so of
two saves from the same version exactly one wins and the other is refused with
`VersionConflict`, whether it came from a web form or the API (issue 7, "Two
practitioners editing the same record")."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone


class VersionConflict(Exception):
    """The record changed after the caller read it; nothing was written."""

    def __init__(self, *, label: str, expected: int, current: int | None):
        self.label = label
        self.expected = expected
        self.current = current
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return (
            f"Someone else saved this {self.label} after you opened it (you started from version "
            f"{self.expected}; it is now version {self.current}). Your changes were not saved: check the "
            "current record and save again."
        )


def compare_and_swap(*, model, pk, version, changes: dict, label: str) -> int:
    """Writes `changes` to the row only if it is still at `version`; returns the
    new version. Raises VersionConflict (and writes nothing) otherwise."""
    try:
        expected = int(version)
    except (TypeError, ValueError):
        expected = -1
    fields = dict(changes)
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        fields["updated_at"] = timezone.now()
    updated = model.objects.filter(pk=pk, version=expected).update(**fields, version=F("version") + 1)
    if not updated:
        current = model.objects.filter(pk=pk).values_list("version", flat=True).first()
        raise VersionConflict(label=label, expected=expected, current=current)
    return expected + 1
