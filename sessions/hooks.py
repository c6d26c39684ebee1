"""What floors above this one add to the record page (decision 021): the
expected course behind the chart's lines (feedback) and the open not-on-track
flag in words (supervision). Sessions may not import them (pyproject.toml
import-linter layers); they register here from their AppConfig.ready, as
appointments/hooks.py does for the waiting lists.

A hook is called as `hook(referral, context)` with the page's context (the
record, `chart_series`) and adds to it in place; each keeps to a fixed number of
queries whatever the record's length."""

from __future__ import annotations

from collections.abc import Callable

RECORD_HOOKS: list[Callable] = []


def register(hook: Callable) -> None:
    if hook not in RECORD_HOOKS:
        RECORD_HOOKS.append(hook)


def record_context(referral, context: dict) -> dict:
    for hook in RECORD_HOOKS:
        hook(referral, context)
    return context
