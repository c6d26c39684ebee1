"""Demo expected course (issue 21 "Done when"): the demo service's first
version, estimated from its own finished courses as the nightly task does, so
that the first flag job marks its stalled cases not on track and their charts
show the course. The demo has a few hundred patients, so a (measure, band,
session) needs only DEMO_MIN_SAMPLE courses here; the version row records it.
A real service uses OUTCOME_FEEDBACK_MIN_SAMPLE (30, decision 021)."""

from __future__ import annotations

from .services import expected_course_estimate

DEMO_MIN_SAMPLE = 5


def build(result: dict) -> None:
    expected_course_estimate(service=result["service"], min_sample=DEMO_MIN_SAMPLE)
