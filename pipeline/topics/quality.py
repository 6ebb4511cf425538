"""Every topic model scored the same way, for `outputs/topics/metrics.json`.

BERTopic (after and before outlier re-assignment) and the NMF/LDA baselines are scored on the
reference papers with one vocabulary: NPMI coherence, diversity, and stability against refits
with other seeds. The baselines are fitted once (`fit_baselines`) on the same seeded sample of
the reference the metrics use; `baseline_assignments` then gives every paper its NMF and LDA
topic, so users can compare the models paper by paper.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from pipeline.config import Config
from pipeline.io import PickleStore, read_json, write_json
from pipeline.topics import metrics as tm
from pipeline.topics.baselines import NAMES, BaselineFit, fit_baseline
from pipeline.topics.fit import TopicFit, fit_topics, sample_rows
from pipeline.topics.fitcache import digest, library_versions
from pipeline.topics.words import class_tfidf_words

log = logging.getLogger(__name__)
METRICS_VERSION = "4"  # bump when `quality` changes what it reports


def metrics_sample(n: int, cfg: Config) -> np.ndarray:
    """Positions of the papers every metric is computed on, among `n` reference papers: all
    of them, or the seeded `topics.metrics_sample` of them."""
    return sample_rows(n, cfg.topics.metrics_sample, cfg.seed)


def baseline_rows(reference, cfg: Config) -> np.ndarray:
    """The papers the metrics (and so the baselines) use, as corpus rows."""
    ref = np.sort(reference)
    return ref[metrics_sample(len(ref), cfg)]


def fit_baselines(
    fit: TopicFit, rows: np.ndarray, texts: list[str], cfg: Config, store: PickleStore | None = None
) -> dict:
    """NMF/LDA fitted on `rows` (`baseline_rows`), with as many topics as BERTopic has there.
    They depend only on the reference, so `store` keeps them until a refit."""
    t = cfg.topics
    row_texts = [texts[i] for i in rows]
    n_topics = max(1, tm.n_topics(fit.topics[rows]))
    k = max(t.coherence_top_n, t.diversity_top_n)

    kwargs = {name: getattr(t, name).kwargs() for name in t.baselines}

    def fit_all() -> dict:
        counts = fit.vectorizer.transform(row_texts)
        words = fit.vectorizer.get_feature_names_out()
        return {
            name: fit_baseline(name, counts, words, n_topics, cfg.seed, kwargs[name], k)
            for name in t.baselines
        }

    vocabulary = sorted(fit.vectorizer.vocabulary_.items())
    key = digest("baselines", row_texts, vocabulary, n_topics, k, kwargs, cfg.seed,
                 library_versions())  # fmt: skip
    return (store or PickleStore(None)).get_or_make("baselines", key, fit_all)


def baseline_assignments(
    baselines: dict[str, BaselineFit], rows: np.ndarray, vectorizer, texts: list[str], ids
) -> pd.DataFrame:
    """paper_id and each baseline's topic. The papers a baseline was fitted on (`rows`) keep
    their fitted topic, the one its metrics score; the others get the model's `transform`."""
    frame = pd.DataFrame({"paper_id": list(ids)})
    counts = vectorizer.transform(texts)
    for name in NAMES:  # one column each, empty (<NA>) for a baseline params leave out
        topics = pd.array([pd.NA] * len(frame), dtype="Int64")
        if name in baselines:
            topics = baselines[name].assign(counts)
            topics[rows] = baselines[name].topics
        frame[name] = pd.array(topics, dtype="Int64")
    return frame


def reference_quality(
    fit: TopicFit, reference, texts, embeddings, cfg: Config, baselines: dict[str, BaselineFit]
) -> dict:
    """`quality` of the reference fit, on the reference papers: it changes only with a refit,
    so it is cached by the reference's content (`.cache/papertrends/topics/`). The coherence of
    the readable labels, which `update_topics` draws from all papers, is computed on every
    run (and the caller adds the corpus size)."""
    ref = np.sort(reference)
    ref_texts = [texts[i] for i in ref]
    key = digest("metrics", ref_texts, embeddings[ref], cfg.topics.model_dump(mode="json"),
                 cfg.seed, METRICS_VERSION)  # fmt: skip
    path = cfg.paths.cache / "topics" / f"metrics-{key}.json"
    if path.exists():
        log.info("topic metrics unchanged since the reference was fitted: %s", path)
        metrics = read_json(path)
    else:
        metrics = quality(fit.take(ref), ref_texts, embeddings[ref], cfg, baselines)
        metrics["settings"]["metrics_on_reference"] = len(ref)
        write_json(metrics, path)
    metrics["bertopic"]["npmi_labels"] = label_npmi(fit, ref_texts, cfg)
    return metrics


def label_npmi(fit: TopicFit, texts: list[str], cfg: Config) -> float | None:
    """NPMI of the readable labels' words, over the same tokens as `quality`'s NPMI."""
    t = cfg.topics
    rows = metrics_sample(len(texts), cfg)
    tokens = tm.tokenize([texts[i] for i in rows], fit.vectorizer)
    labels = fit.model.topic_aspects_.get("Label", {})
    label_words = [[w for w, _ in pairs] for topic, pairs in sorted(labels.items()) if topic != -1]
    value = tm.npmi(label_words, tokens, t.coherence_top_n, t.coherence_window)[0]
    return _json_safe(round(value, 4))


def quality(
    fit: TopicFit, texts: list[str], embeddings: np.ndarray, cfg: Config, baselines: dict
) -> dict:
    """BERTopic and the baselines scored the same way, plus BERTopic before outlier handling.

    Above `topics.metrics_sample` papers, the scoring runs on a seeded sample of that size:
    NPMI over the sample's tokens, NMF/LDA fitted on the sample, and stability between fits of
    the sample with the main seed and with each of `topics.stability_seeds`.
    BERTopic's word lists still come from all papers (its topics as the user sees them):
    c-TF-IDF over a small sample's few papers per topic gives noisier words (at 96,777 arXiv
    papers, NPMI 0.14 on a 5,000 sample against 0.27 with the words of all papers).
    """
    t = cfg.topics
    k = max(t.coherence_top_n, t.diversity_top_n)
    all_counts = fit.vectorizer.transform(texts)
    words = fit.vectorizer.get_feature_names_out()
    bert_words = class_tfidf_words(all_counts, fit.topics, words, t, k)
    before_words = class_tfidf_words(all_counts, fit.topics_before, words, t, k)
    rows = metrics_sample(len(texts), cfg)
    if len(rows) < len(texts):
        log.info("topic metrics on a seeded sample of %d of %d papers", len(rows), len(texts))
        texts = [texts[i] for i in rows]
        embeddings = embeddings[rows]
    main, main_before = fit.topics[rows], fit.topics_before[rows]
    tokens = tm.tokenize(texts, fit.vectorizer)
    counts = all_counts[rows]
    del all_counts

    def score(topics: np.ndarray, topic_words: dict[int, list[str]]) -> dict:
        ordered = [topic_words[key] for key in sorted(topic_words)]
        return tm.summarize(
            topics, ordered, tokens, t.coherence_top_n, t.coherence_window, t.diversity_top_n
        )

    bert = score(main, bert_words)
    before = score(main_before, before_words)
    bert["outlier_share_before"] = before["outlier_share"]
    bert["npmi_before"] = before["npmi"]
    bert["min_cluster_size"] = fit.min_cluster_size
    refits = [fit_topics(texts, embeddings, t, s, None).topics for s in t.stability_seeds]
    # On a sample, the main fit has the resolution of all reference papers and a refit that
    # of the sample: their ARI measured the sample size as much as the seed (0.42, against
    # 0.61 between fits of all papers, at 10,000 arXiv papers; bench/RESULTS.md). So the main
    # seed is fitted on the sample too, and only the seed differs.
    sampled = refits and len(rows) < len(fit.topics)
    base = fit_topics(texts, embeddings, t, cfg.seed, None).topics if sampled else main
    bert["stability"] = _mean_ari(base, refits)
    bert["candidate_agreement"] = fit.candidate_agreement
    metrics = {"bertopic": bert}

    for name, base in baselines.items():
        metrics[name] = score(base.topics, base.topic_words)
        # n_topics counts topics some paper has as its best; LDA may leave components unused.
        metrics[name]["n_components"] = len(base.topic_words)
        kwargs = getattr(t, name).kwargs()
        others = [
            fit_baseline(name, counts, words, len(base.topic_words), s, kwargs, k).topics
            for s in t.stability_seeds
        ]
        metrics[name]["stability"] = _mean_ari(base.topics, others)
    metrics["settings"] = {
        "fitted_on": fit.fitted_on,
        "metrics_on": len(rows),  # papers every figure here is computed on
        "npmi_top_n": t.coherence_top_n,
        "npmi_window": t.coherence_window or "paper",
        "diversity_top_n": t.diversity_top_n,
        "stability_seeds": [cfg.seed, *t.stability_seeds],
        "stability_fits_on": len(rows),  # papers each fit the stability compares was fitted on
        "candidates": t.candidates,  # each of those fits is the most typical of this many
    }
    return _json_safe(metrics)


def _json_safe(obj):
    """Plain JSON: numpy scalars as Python numbers, NaN (e.g. NPMI of no topic) as null."""
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def _mean_ari(main: np.ndarray, refits: list[np.ndarray]) -> float | None:
    if not refits:
        return None
    return round(float(np.mean([tm.stability(main, r) for r in refits])), 4)
