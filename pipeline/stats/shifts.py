"""Share shifts between two snapshots, with an uncertainty that small samples cannot fool.

For each key (a theme, a topic) the share of papers carrying it is compared between two
snapshots: Fisher's exact test gives the p-value (exact at any count, so one paper more in a
ten-paper dump is never called a trend), the Newcombe hybrid score interval (Wilson intervals
combined) bounds the change, and Benjamini-Hochberg controls the false discovery rate across all
keys of one comparison. Both methods treat the two snapshots as independent samples; papers kept
in both make the real variance of the change smaller, so the test errs on the conservative side.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from pipeline.stats.textbook import bh_adjust, fisher_exact_p, normal_ppf


def wilson_interval(count: int, total: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (sensible at 0 and at n)."""
    if total <= 0:
        return (0.0, 1.0)
    z = normal_ppf(1 - alpha / 2)
    p = count / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    # At 0 and at n one bound is exactly 0 or 1; the subtraction leaves a rounding error.
    low = 0.0 if count == 0 else max(0.0, centre - half)
    return (low, 1.0 if count == total else min(1.0, centre + half))


def newcombe_interval(
    from_count: int, from_total: int, to_count: int, to_total: int, alpha: float = 0.05
) -> tuple[float, float]:
    """Newcombe's hybrid score interval (his method 10) for `to_share - from_share`."""
    p1 = from_count / from_total if from_total else 0.0
    p2 = to_count / to_total if to_total else 0.0
    l1, u1 = wilson_interval(from_count, from_total, alpha)
    l2, u2 = wilson_interval(to_count, to_total, alpha)
    d = p2 - p1
    low = d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return (max(-1.0, low), min(1.0, high))


def fisher_p(from_count: int, from_total: int, to_count: int, to_total: int) -> float:
    """Two-sided Fisher exact p-value for 'the share is the same in both snapshots'."""
    if from_total <= 0 or to_total <= 0:
        return 1.0
    return fisher_exact_p([[from_count, from_total - from_count], [to_count, to_total - to_count]])


def share_shifts(
    from_counts: Mapping[str, int],
    from_total: int,
    to_counts: Mapping[str, int],
    to_total: int,
    labels: Mapping[str, str] | None = None,
    alpha: float = 0.05,
) -> list[dict]:
    """One row per key of either snapshot: counts, shares, change, CI, p, BH q, significance.

    Rows come sorted with supported shifts first, each group by the size of the change.
    """
    keys = sorted(set(from_counts) | set(to_counts))
    rows = []
    for key in keys:
        a, b = int(from_counts.get(key, 0)), int(to_counts.get(key, 0))
        p1 = a / from_total if from_total else 0.0
        p2 = b / to_total if to_total else 0.0
        low, high = newcombe_interval(a, from_total, b, to_total, alpha)
        rows.append(
            {
                "key": key,
                "label": (labels or {}).get(key, key),
                "from_count": a,
                "from_total": int(from_total),
                "from_share": p1,
                "to_count": b,
                "to_total": int(to_total),
                "to_share": p2,
                "change": p2 - p1,
                "ci_low": low,
                "ci_high": high,
                "p_value": fisher_p(a, from_total, b, to_total),
            }
        )
    for row, q in zip(rows, bh_adjust([r["p_value"] for r in rows]), strict=True):
        row["q_value"] = q
        row["significant"] = bool(q <= alpha)
    rows.sort(key=lambda r: (not r["significant"], -abs(r["change"]), r["key"]))
    return rows


def shift_status(row: dict) -> str:
    """Shared-space status of a topic: appeared/vanished are facts, grew/shrank need support."""
    if row["from_count"] == 0 and row["to_count"] > 0:
        return "appeared"
    if row["to_count"] == 0 and row["from_count"] > 0:
        return "vanished"
    if row["significant"]:
        return "grew" if row["change"] > 0 else "shrank"
    return "stable"


def describe_shift(row: dict, name: str | None = None) -> str:
    """'<name> rose from a of N papers to b of M', the form the summary uses."""
    verb = "rose" if row["change"] > 0 else "fell" if row["change"] < 0 else "stayed"
    name = name or row["key"]
    if verb == "stayed":
        return f"{name} stayed at {row['from_count']} of {row['from_total']} papers"
    return (
        f"{name} {verb} from {row['from_count']} of {row['from_total']} papers "
        f"to {row['to_count']} of {row['to_total']}"
    )


def summary_lines(
    theme_rows: list[dict],
    topic_rows: list[dict],
    alpha: float,
    max_supported: int = 6,
    max_unsupported: int = 3,
) -> list[str]:
    """Plain-language lines: supported shifts first, then the largest unsupported ones, marked."""
    named = [(r, r["key"]) for r in theme_rows] + [(r, f"topic '{r['label']}'") for r in topic_rows]
    supported = sorted(
        (x for x in named if x[0]["significant"]), key=lambda x: -abs(x[0]["change"])
    )
    moved = [x for x in named if not x[0]["significant"] and x[0]["change"] != 0]
    unsupported = sorted(moved, key=lambda x: -abs(x[0]["change"]))
    level = f"{100 * (1 - alpha):g}%"
    lines = []
    for row, name in supported[:max_supported]:
        lines.append(
            f"{describe_shift(row, name)} ({100 * row['change']:+.1f} points, {level} CI "
            f"{100 * row['ci_low']:+.1f} to {100 * row['ci_high']:+.1f}; "
            f"FDR-adjusted p={row['q_value']:.2g})"
        )
    if not supported:
        lines.append(
            "No theme or topic share changed by more than chance would explain "
            f"(Fisher exact test, Benjamini-Hochberg at {alpha:g})."
        )
    for row, name in unsupported[:max_unsupported]:
        lines.append(
            f"Not supported (could be chance, FDR-adjusted p={row['q_value']:.2g}): "
            f"{describe_shift(row, name)}"
        )
    return lines
