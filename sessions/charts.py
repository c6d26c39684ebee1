"""Chart data for the record page: each measure's totals over sessions, with
its caseness line and reliable change (DOMAIN.md "Measures")."""

from django.utils import timezone

from . import measures

CHARTED = ("PHQ9", "GAD7", "SPIN", "PDSS", "PCL5", "IESR", "MI", "OCI", "HAI", "WSAS")


def measure_series(sessions) -> list[dict]:
    """One series per measure that has complete scores, in session order. Each
    session carries its measures as `measure_list` dicts (sessions/selectors.py
    `record_for_user`)."""
    series: dict[str, dict] = {}
    for session in sessions:
        day = None
        for score in session.measure_list:
            code = score["instrument"]
            if not score["complete"] or code not in CHARTED:
                continue
            instrument = measures.INSTRUMENTS[code]
            if day is None:
                day = timezone.localtime(session.started_at).strftime("%d/%m/%Y")
            entry = series.setdefault(
                code,
                {
                    "code": code,
                    "name": instrument.name,
                    "cutoff": instrument.cutoff,
                    "cutoffInclusive": instrument.cutoff_inclusive,
                    "reliableChange": instrument.reliable_change,
                    "max": instrument.item_max * (1 if instrument.scoring == "mean" else instrument.item_count),
                    "points": [],
                },
            )
            entry["points"].append({"x": day, "y": float(score["total"])})
    for entry in series.values():
        points = entry["points"]
        change = points[-1]["y"] - points[0]["y"] if len(points) > 1 else 0
        rc = entry["reliableChange"]
        entry["change"] = round(change, 2)
        entry["reliable"] = (
            None
            if rc is None or len(points) < 2
            else "improved"
            if change <= -rc
            else "deteriorated"
            if change >= rc
            else "no reliable change"
        )
    return [series[code] for code in CHARTED if code in series]
