"""The bench's summary: a table of figures, references, ratios and targets
(issue 8), and the plot of how each figure grows with the size of the year."""

from __future__ import annotations

from pathlib import Path

NATIONAL = 2_000_000

LABELS = {
    "generate": "generate the year",
    "flags": "1 flag job",
    "export": "2 audit CSV",
    "report": "3 service report",
    "caseload": "4a My caseload (page)",
    "caseload_all": "4a My caseload (all)",
    "record": "4b record page",
    "dashboard": "5 supervisor dashboard",
    "logging": "6 session logging",
}


def verdict(name: str, c: dict, referrals: int) -> tuple[bool | None, str]:
    """Whether the case meets issue 8's target, and the target in words."""
    ratio = c.get("ratio")
    if name == "generate":
        if referrals < NATIONAL:
            return None, "under 300 s at 2M"
        return c["ours"] < 300, "under 300 s"
    if name == "flags":
        ok = ratio <= 1.3 and c["second_run_seconds"] < 1 and c["second_run_changes"] == 0
        return ok and c["same_flags_as_reference"], "<= 1.3x; second run changes nothing, < 1 s"
    if name == "export":
        return ratio <= 1.5 and c["peak_memory_mb"] < 250 and c["rows"] == c["reference_rows"], "<= 1.5x, < 250 MB"
    if name == "report":
        return ratio <= 1.5 and c["ours"] < 1, "<= 1.5x and < 1 s"
    if name in ("caseload", "caseload_all", "record"):
        return ratio <= 3 and c["constant_queries"], "<= 3x, queries constant"
    if name == "dashboard":
        return c["uses_index"] and c["no_seq_scan_of_referrals"], "index, no seq scan of referrals"
    if name == "logging":
        return ratio >= 0.2 and c["errors"] == 0, ">= 20% of raw, 0 errors"
    return None, ""


def _detail(name: str, c: dict) -> str:
    if name == "flags":
        return (
            f"{c['flags']} flags (same as reference: {c['same_flags_as_reference']}), overdue share "
            f"{c['overdue_share']}, second run {c['second_run_seconds']:.2f} s / {c['second_run_changes']} changes"
        )
    if name == "export":
        return (
            f"{c['rows']} rows, {c['csv_mb']} MB, peak RSS {c['peak_memory_mb']} MB "
            f"(COPY's {c['reference_peak_memory_mb']})"
        )
    if name == "report":
        built = (
            f"; outcome summaries of {c['summaries_built']} referrals built in {c['summary_build_s']:.1f} s"
            if "summary_build_s" in c
            else ""
        )
        return f"{c['referrals']} referrals, {c['queries']} queries{built}"
    if name in ("caseload", "caseload_all"):
        return (
            f"{c.get('rows_shown', c['open_cases'])} of {c['open_cases']} cases shown: {c['queries']} queries; "
            f"{c['small_caseload_cases']} cases: {c['queries_small_caseload']} queries" + _static(c)
        )
    if name == "record":
        return (
            f"{c['sessions']} sessions: {c['queries']} queries; {c['small_record_sessions']} session(s): "
            f"{c['queries_small_record']} queries" + _static(c)
        )
    if name == "dashboard":
        return f"{c['rows']} cases, referrals read by {', '.join(c['referral_access'])}; seq scans: {c['seq_scans']}"
    if name == "logging":
        return f"{c['posts']} POSTs, {c['errors']} errors"
    if name == "generate":
        return f"{c['referrals']} referrals, {c['sessions']} sessions, {c['measures']} measures"
    return ""


def _static(c: dict) -> str:
    """Case 4's second reference: the same template and rows with no SQL."""
    if "static_reference" not in c:
        return ""
    return (
        f"; vs the static page (same template and rows, no SQL) {c['static_reference']:.4f} s: "
        f"{c['ratio_to_static']:.2f}x (static page / shell {c['static_to_shell']:.2f}x)"
    )


def rows(summary: dict) -> list[dict]:
    out = []
    for result in summary["results"]:
        n = result["referrals"]
        for name, c in result.get("cases", {}).items():
            ok, target = verdict(name, c, n)
            out.append(
                {
                    "referrals": n,
                    "case": LABELS.get(name, name),
                    "ours": f"{c['ours']:.3f} {c['unit']}",
                    "reference": f"{c['reference']:.3f} {c['unit']}",
                    "ratio": f"{c['ratio']:.2f}x" if c.get("ratio") is not None else "n/a",
                    "target": target,
                    "met": {True: "yes", False: "NO", None: "-"}[ok],
                    "detail": _detail(name, c),
                    "load": result.get("load_before"),
                }
            )
    return out


def print_table(summary: dict) -> None:
    print()
    for row in rows(summary):
        print(
            f"{row['referrals']:>9,}  {row['case']:<24} ours {row['ours']:>20}  ref {row['reference']:>20}  "
            f"{row['ratio']:>8}  target {row['target']:<44} met {row['met']:<3}  {row['detail']}"
        )


def markdown(summary: dict) -> str:
    lines = [
        "| referrals | case | ours | reference | ratio | target | met | detail |",
        "|---:|---|---:|---:|---:|---|---|---|",
    ]
    for row in rows(summary):
        lines.append(
            f"| {row['referrals']:,} | {row['case']} | {row['ours']} | {row['reference']} | {row['ratio']} | "
            f"{row['target']} | {row['met']} | {row['detail']} |"
        )
    return "\n".join(lines)


def plot(summary: dict, path: Path) -> bool:
    """One panel per case: our figure and the reference against the share of
    the national year, both axes logarithmic."""
    results = summary["results"]
    if len(results) < 2:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in LABELS if any(n in r.get("cases", {}) for r in results)]
    fig, axes = plt.subplots(2, (len(names) + 1) // 2, figsize=(4 * ((len(names) + 1) // 2), 7))
    for ax, name in zip(axes.flat, names, strict=False):
        points = [(r["referrals"] / NATIONAL * 100, r["cases"][name]) for r in results if name in r.get("cases", {})]
        xs = [p for p, _ in points]
        ax.plot(xs, [c["ours"] for _, c in points], "o-", label="ours")
        ax.plot(xs, [c["reference"] for _, c in points], "s--", label="reference")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(LABELS[name], fontsize=10)
        ax.set_xlabel("% of the national year (2M referrals)", fontsize=8)
        ax.set_ylabel(points[0][1]["unit"], fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(names) :]:
        ax.axis("off")
    fig.suptitle(f"Benchmarks by scale ({summary.get('started', '')})", fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
