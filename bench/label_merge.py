"""configs/labels/arxiv_labels.csv from two annotators' labels and the adjudications.

Inputs (outside the repo, one folder per annotator and batch): `<A>/labels.csv`,
`<B>/labels.csv` (arxiv_id, one 0/1 column per theme, note) and, per batch, the adjudicator's
`adjudicated.csv` (arxiv_id, theme, label, note) for every disputed (paper, theme). A label
both annotators gave is kept; a disputed one takes the adjudicator's. Cohen's kappa per theme
(before adjudication) is printed as JSON and written to configs/labels/agreement.json.

    python -m bench.label_merge --sample /tmp/labelling/sample.jsonl \
        --sample /tmp/labelling/topup.jsonl --batch A1 C1 /tmp/labelling/adj1 ...
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import pandas as pd

THEMES = ["anomaly_detection", "medical_vlm", "domain_adaptation", "foundation_models"]


def read_labels(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype={"arxiv_id": str}, keep_default_na=False)
    df["arxiv_id"] = df["arxiv_id"].str.strip()
    return df.drop_duplicates("arxiv_id").set_index("arxiv_id")


def kappa(a: pd.Series, b: pd.Series) -> float | None:
    from sklearn.metrics import cohen_kappa_score

    if a.nunique() < 2 and b.nunique() < 2:
        return None
    return round(float(cohen_kappa_score(a, b)), 4)


def merge_batch(root: Path, a_name: str, b_name: str, adj_dir: Path) -> pd.DataFrame:
    a, b = read_labels(root / a_name / "labels.csv"), read_labels(root / b_name / "labels.csv")
    ids = [i for i in a.index if i in b.index]
    adj = {}
    adj_path = adj_dir / "adjudicated.csv"
    if adj_path.exists():
        with adj_path.open(newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                adj[(r["arxiv_id"].strip(), r["theme"].strip())] = (int(r["label"]), r["note"])
    rows = []
    for i in ids:
        row = {"arxiv_id": i, "annotator_a": a_name, "annotator_b": b_name}
        notes = []
        for t in THEMES:
            la, lb = int(a.at[i, t]), int(b.at[i, t])
            row[f"{t}_a"], row[f"{t}_b"] = la, lb
            if la == lb:
                row[t] = la
            elif (i, t) in adj:
                row[t], note = adj[(i, t)]
                notes.append(f"{t}: A={la} B={lb} -> {row[t]} ({note})")
            else:
                raise SystemExit(f"{i} {t}: annotators disagree and no adjudication in {adj_path}")
        row["adjudication"] = "; ".join(notes)
        row["note_a"], row["note_b"] = a.at[i, "note"], b.at[i, "note"]
        rows.append(row)
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=Path("/tmp/labelling"))
    ap.add_argument("--sample", type=Path, action="append", required=True)
    ap.add_argument("--batch", nargs=3, action="append", required=True, metavar=("A", "B", "ADJ"))
    ap.add_argument("--out", type=Path, default=Path("configs/labels/arxiv_labels.csv"))
    args = ap.parse_args()
    meta = {}
    for path in args.sample:
        for line in path.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            meta[r["arxiv_id"]] = r
    frames = [merge_batch(args.root, a, b, Path(adj)) for a, b, adj in args.batch]
    df = pd.concat(frames, ignore_index=True)
    df["title"] = df["arxiv_id"].map(lambda i: meta[i]["title"])
    df["abstract"] = df["arxiv_id"].map(lambda i: meta[i]["abstract"])
    df["pool"] = df["arxiv_id"].map(lambda i: meta[i]["pool"])
    df["primary_category"] = df["arxiv_id"].map(lambda i: meta[i]["primary_category"])
    df["date"] = df["arxiv_id"].map(lambda i: meta[i]["date"])
    cols = ["arxiv_id", "title", "abstract", *THEMES, "pool", "primary_category", "date",
            "annotator_a", "annotator_b", *[f"{t}_{s}" for t in THEMES for s in "ab"],
            "adjudication", "note_a", "note_b"]  # fmt: skip
    df[cols].to_csv(args.out, index=False)
    agreement = {
        "papers": len(df),
        "kappa": {t: kappa(df[f"{t}_a"], df[f"{t}_b"]) for t in THEMES},
        "disagreements": {t: int((df[f"{t}_a"] != df[f"{t}_b"]).sum()) for t in THEMES},
        "positives": {t: int(df[t].sum()) for t in THEMES},
    }
    (args.out.parent / "agreement.json").write_text(json.dumps(agreement, indent=1) + "\n")
    print(json.dumps(agreement))


if __name__ == "__main__":
    main()
