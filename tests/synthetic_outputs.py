"""Small synthetic upstream outputs (clean, topics, themes, ingest, compare) for the trends and
dashboard tests, written under a tmp_path so those stages can run without the models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from pipeline.config import Config, Dashboard, Paths, Trends
from pipeline.io import write_json, write_table

XSS_TITLES = [
    '<img src=x onerror="window.__xss=1;alert(1)"> Robust anomaly detection',
    "</script><script>window.__xss=2;alert(2)</script> segmentation",
    "<b onmouseover=window.__xss=3>bold</b> & <!-- comment --> \u2028 line sep",
]
THEMES = [
    {"name": "anomaly_detection", "label": "Anomaly detection", "description": "x"},
    {"name": "medical_vlm", "label": "Medical <VLM>", "description": "x"},
    {"name": "domain_adaptation", "label": "Domain adaptation", "description": "x"},
]


def build(
    root: Path, n_months: int = 18, per_month: int = 16, undated: int = 3, compare: bool = True
) -> Config:
    """Papers over `n_months` months to 2025-06; topic 1 and anomaly_detection grow steadily."""
    rng = np.random.default_rng(0)
    out = root / "outputs"
    months = pd.period_range(end="2025-06", periods=n_months, freq="M")
    rows, topic, themes = [], [], []
    i = 0
    for m_i, month in enumerate(months):
        n = 2 if m_i == 3 else per_month  # one small period
        for k in range(n):
            day = 1 + (k * 7) % 27
            frac = m_i / max(1, n_months - 1)
            t = 1 if rng.random() < 0.05 + 0.8 * frac else int(rng.choice([0, 2, 3, -1]))
            th = ["anomaly_detection"] if t == 1 else []
            if rng.random() < 0.3:
                th.append("medical_vlm")
            rows.append((f"p{i:012x}", f"Paper {i} on topic {t}", f"{month}-{day:02d}"))
            topic.append(t)
            themes.append(sorted(th))
            i += 1
    for j in range(undated):
        rows.append((f"p{i:012x}", f"Undated paper {j}", None))
        topic.append(0)
        themes.append(["domain_adaptation"])
        i += 1
    titles = [r[1] for r in rows]
    for j, t in enumerate(XSS_TITLES):
        titles[5 + j] = t
    n = len(rows)
    dumps = [["d1.txt"] if k % 3 else ["d1.txt", "d2.txt"] for k in range(n)]
    papers = pd.DataFrame(
        {
            "paper_id": [r[0] for r in rows],
            "title": titles,
            "abstract": ["An abstract."] * n,
            "text": titles,
            "authors": [["A. Author"]] * n,
            "date": [r[2] for r in rows],
            "date_has_year": [r[2] is not None for r in rows],
            "date_precision": ["day" if r[2] is not None else None for r in rows],
            "category": ["CV"] * n,
            "dumps": dumps,
            "sources": [[f"{d[0]}#{k}"] for k, d in enumerate(dumps)],
            "n_dumps": [len(d) for d in dumps],
            "first_seen": ["d1"] * n,
            "last_seen": [d[-1].removesuffix(".txt") for d in dumps],
            "upvotes": [None] * n,
            "has_code": [None] * n,
            "near_duplicate_of": [None] * n,
        }
    )
    write_table(papers, out / "clean/papers.parquet", "papers")
    assign = pd.DataFrame({"paper_id": papers["paper_id"], "topic": topic, "probability": 0.9})
    write_table(assign, out / "topics/assignments.parquet", "assignments")
    sizes = assign["topic"].value_counts()
    info = pd.DataFrame(
        {
            "topic": [-1, 0, 1, 2, 3],
            "size": [int(sizes.get(t, 0)) for t in (-1, 0, 1, 2, 3)],
            "label": [
                "outliers",
                "0_video_grounding",
                "1_anomaly_<i>zero</i>",
                "2_medical",
                "3_da",
            ],
            "top_words": [["a", "b"]] * 5,
            "representative_papers": [[papers["paper_id"][0]]] * 5,
        }
    )
    write_table(info, out / "topics/topic_info.parquet", "topic_info")
    centres = {-1: (0, 0), 0: (5, 5), 1: (-5, 5), 2: (5, -5), 3: (-5, -5)}
    xy = np.array([centres[t] for t in topic], dtype=float) + rng.normal(0, 1, (n, 2))
    coords = pd.DataFrame({"paper_id": papers["paper_id"], "x": xy[:, 0], "y": xy[:, 1]})
    write_table(coords, out / "topics/coords.parquet", "coords")
    pt = pd.DataFrame({"paper_id": papers["paper_id"], "title": titles, "themes": themes})
    for th in THEMES:
        pt[f"score_{th['name']}"] = [float(th["name"] in ts) for ts in themes]
    pt["uncertain"] = [i % 7 == 0 for i in range(n)]
    pt["label_set"] = [None] * n
    # Evidence echoes the (untrusted) title, as the real stage's nearest-paper field can.
    pt["evidence"] = [
        f"{', '.join(ts)} because of {t}" if ts else ""
        for ts, t in zip(themes, titles, strict=True)
    ]
    write_table(pt, out / "themes/paper_themes.parquet", "paper_themes")
    dumps_json = {
        name: {"snapshot": name[:2], "date": day, "source": "s", "layout": "daily_papers"}
        for name, day in (("d1.txt", "2025-03-01"), ("d2.txt", "2025-06-20"))
    }
    write_json({"dumps": dumps_json, "totals": {}}, out / "ingest/dumps.json")
    (root / "configs").mkdir(parents=True, exist_ok=True)
    (root / "configs/themes.yaml").write_text(yaml.safe_dump({"themes": THEMES}), "utf-8")
    if compare:
        write_compare(out / "compare", titles)
    return Config(
        paths=Paths(outputs=out, themes=root / "configs/themes.yaml", cache=root / "cache"),
        trends=Trends(recent_periods=12, min_period_papers=5),
        dashboard=Dashboard(screenshot=False, plots=False),
    )


def write_compare(d: Path, titles: list[str]) -> None:
    snaps = {
        "d1": {"source": "s", "date": "2025-03-01", "n_papers": 80},
        "d2": {"source": "s", "date": "2025-06-20", "n_papers": 90},
    }
    write_json(
        {"series": {"s": ["d1", "d2"]}, "pairs": ["d1__d2"], "snapshots": snaps}, d / "index.json"
    )

    def shift(key, label, a, b, **extra):
        return {
            "key": key,
            "label": label,
            "from_count": a,
            "from_total": 80,
            "from_share": a / 80,
            "to_count": b,
            "to_total": 90,
            "to_share": b / 90,
            "change": b / 90 - a / 80,
            "ci_low": 0.01,
            "ci_high": 0.2,
            "p_value": 0.01,
            "significant": True,
            **extra,
        }

    pair = {
        "from": {"id": "d1", **snaps["d1"]},
        "to": {"id": "d2", **snaps["d2"]},
        "summary": ["anomaly_detection rose from 12 of 80 papers to 30 of 90", XSS_TITLES[1]],
        "papers": {
            "added": {"count": 10, "items": [{"paper_id": "p1", "title": XSS_TITLES[0]}]},
            "removed": {"count": 0, "items": []},
            "kept": {"count": 80, "items": []},
        },
        "theme_shifts": [shift("anomaly_detection", "Anomaly detection", 12, 30)],
        "topic_shifts": [
            shift("1", XSS_TITLES[0], 10, 25, status="grew"),
            shift("2", "2_medical", 20, 10, status="shrank"),
        ],
        "drift": {
            "from_topics": [
                {"id": 0, "label": "a_<b>x</b>", "size": 40},
                {"id": 1, "label": "b", "size": 30},
            ],
            "to_topics": [
                {"id": 0, "label": "a2", "size": 45},
                {"id": 1, "label": "c", "size": 20},
                {"id": 2, "label": "d", "size": 25},
            ],
            "links": [
                {"from": 0, "to": 0, "similarity": 0.9, "relation": "continued"},
                {"from": 1, "to": 1, "similarity": 0.6, "relation": "split"},
                {"from": 1, "to": 2, "similarity": 0.55, "relation": "split"},
                {"from": None, "to": 2, "similarity": 0.0, "relation": "born"},
            ],
        },
    }
    (d / "d1__d2.json").write_text(json.dumps(pair, indent=1), "utf-8")
    digest = {
        "series": [
            {
                "source": "s",
                "latest": {"id": "d2", **snaps["d2"], "n_new": 10},
                "n_snapshots": 2,
                "moved": ["theme Anomaly detection: 12/80 -> 30/90 since the previous dump"],
                "new_topics": [{"key": "1", "label": XSS_TITLES[0], "count": 3}],
                "new_by_theme": [
                    {
                        "theme": "anomaly_detection",
                        "label": "Anomaly detection",
                        "count": 12,
                        "papers": [{"title": XSS_TITLES[0], "date": None, "why": XSS_TITLES[1]}],
                    }
                ],
            }
        ]
    }
    write_json(digest, d / "digest.json")
