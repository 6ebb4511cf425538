"""How topics are named and ranked in tables and charts (the trends stage and the dashboard)."""

from __future__ import annotations

import pandas as pd


def topic_label_map(info: pd.DataFrame) -> dict[str, str]:
    """Topic id -> "3: label", without BERTopic's own "3_" prefix; -1 -> "outliers"."""
    rows = info.sort_values("topic")
    return {
        str(t): "outliers" if t == -1 else f"{t}: {str(lbl).removeprefix(f'{t}_')}"
        for t, lbl in zip(rows["topic"], rows["label"], strict=True)
    }


def top_topics(info: pd.DataFrame, n: int) -> list[str]:
    rows = info[info["topic"] != -1].sort_values(["size", "topic"], ascending=[False, True])
    return [str(t) for t in rows["topic"].head(n)]
