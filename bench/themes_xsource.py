"""Why the themes stop short of 0.90 cross-source (issue 14): threshold rules and ceilings.

For `themes.method` and `themes.c` of the params, scores every ordered pair of labelled sets once
(train on A, score B, as `pipeline.themes.evaluation.cross_source`) and turns the same scores
into decisions by several threshold rules, all fitted without labels of B:
- f1_best, bagged: the rules of `themes.threshold`;
- platt_0.5: Platt-calibrated OOF scores, cut at 0.5;
- expected_f1: calibrated scores of B, the top-k that maximises the expected F1;
- em_expected_f1, em_rank: prior shift (Saerens, Latinne, Decaestecker 2002) estimated by EM on
  the calibrated scores of B, then expected-F1 top-k, or the top (estimated prior x n);
- break_even: the OOF cut that predicts as many positives as the training set has.
Then two ceilings, DIAGNOSTIC ONLY (they use the labels of the scored papers):
- oracle: the F1-best cut on B's own scores (how far a perfect threshold could go);
- in_domain: 5-fold OOF on each set alone, cut at its own F1-best (optimistic).

    python -m bench.themes_xsource -p configs/params.yaml
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from bench.themes_methods import labelled_bank
from pipeline.config import load_config
from pipeline.themes import evaluation as ev
from pipeline.themes.classifier import best_threshold, calibrate, fit_threshold, oof_scores


def _logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def platt(oof, y):
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e4, max_iter=1000).fit(_logit(oof)[:, None], y)
    return lambda s: lr.predict_proba(_logit(s)[:, None])[:, 1]


def em_prior(post, prior, iters=500):
    """Posteriors and prior on the target after EM prior-shift adjustment."""
    q, adj = prior, post
    for _ in range(iters):
        w1, w0 = q / prior, (1 - q) / (1 - prior)
        adj = post * w1 / (post * w1 + (1 - post) * w0)
        if abs(adj.mean() - q) < 1e-8:
            break
        q = adj.mean()
    return q, adj


def top(scores, k):
    pred = np.zeros(len(scores), dtype=bool)
    pred[np.argsort(-scores, kind="stable")[:k]] = True
    return pred


def expected_f1_top(p):
    """The top-k of posteriors `p` with the highest plug-in expected F1."""
    cs = np.cumsum(np.sort(p)[::-1])
    return top(p, int(np.argmax(2 * cs / (np.arange(1, len(p) + 1) + p.sum()))) + 1)


def rules(oof, y, test, seed):
    cal = platt(oof, y)
    q, adj = em_prior(cal(test), y.mean())
    return {
        "f1_best": test >= fit_threshold(oof, y, "f1_best", seed),
        "bagged": test >= fit_threshold(oof, y, "bagged", seed),
        "platt_0.5": cal(test) >= 0.5,
        "expected_f1": expected_f1_top(cal(test)),
        "em_expected_f1": expected_f1_top(adj),
        "em_rank": top(test, int(round(q * len(test)))),
        "break_even": test >= np.sort(oof)[::-1][int(y.sum()) - 1],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-p", "--params", default="configs/params.yaml")
    args = p.parse_args()
    cfg = load_config(args.params)
    t = cfg.themes
    labels, bank, names = labelled_bank(cfg)
    out: dict = {}
    for split, name, tr, ytr, te, yte in ev.source_splits(labels, names):
        c = calibrate(t.method, name, bank.take(tr), ytr, t.cv_folds, cfg.seed, t.c)
        s = c.model.score(bank.take(te))
        decided = rules(c.oof, ytr, s, cfg.seed)
        decided["oracle (diagnostic)"] = s >= best_threshold(s, yte)
        for rule, pred in decided.items():
            f1 = ev.prf(yte, pred.astype(int))["f1"]
            out.setdefault(rule, {}).setdefault(split, {})[name] = f1
    for a in dict.fromkeys(labels["set"]):
        in_a = (labels["set"] == a).to_numpy()
        for name in names:
            rows, y = ev.labelled_rows(labels, name)
            rows, y = rows[in_a[rows]], y[in_a[rows]]
            oof = oof_scores(t.method, name, bank.take(rows), y, t.cv_folds, cfg.seed, t.c)
            f1 = ev.prf(y, (oof >= best_threshold(oof, y)).astype(int))["f1"]
            out.setdefault("in_domain (diagnostic)", {}).setdefault(f"{a} OOF", {})[name] = f1
    for rule, splits in out.items():
        row = {"rule": rule}
        for split, per in splits.items():
            row[split] = {"macro_f1": round(float(np.mean(list(per.values()))), 4), **per}
        print(json.dumps(row))


if __name__ == "__main__":
    main()
