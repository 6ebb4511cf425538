"""The five seed dumps, parsed exactly: counts per dump and tricky entries field by field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.parsers import read_text_dump, sniff_layout

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
COUNTS = {
    "000_1e3b63b79e3be265.txt": ("author_profile", 14, 14),
    "001_c37e96d748088d53.txt": ("author_profile", 27, 27),
    "002_f26e997f7e344e68.txt": ("daily_papers", 57, None),
    "003_1f860fe648a8a5a7.txt": ("daily_papers", 107, None),
    "004_624eb259be77fa8b.txt": ("compact_profile", 31, None),
}
# Every title of the compact dump, split from its glued author list (004_, in order).
COMPACT_TITLES = [
    ("EPVT: Environment-aware Prompt Vision Transformer for Domain Generalization in Skin "
     "Lesion Recognition", "Siyuan Yan"),
    ("Universal Semi-Supervised Learning for Medical Image Classification", "Lie Ju"),
    ("NurViD: A Large Expert-Level Video Database for Nursing Procedure Activity "
     "Understanding", "Ming Hu"),
    ("HGCLIP: Exploring Vision-Language Models with Graph Representations for Hierarchical "
     "Understanding", "Peng Xia"),
    ("Towards Novel Class Discovery: A Study in Novel Skin Lesions Clustering", "Wei Feng"),
    ("Skin Lesion Recognition with Class-Hierarchy Regularized Hyperbolic Embeddings", "Zhen Yu"),
    ("Unsupervised Domain Adaptive Fundus Image Segmentation with Category-level "
     "Regularization", "Wei Feng"),
    ("Flexible Sampling for Long-tailed Skin Lesion Classification", "Lie Ju"),
    ("DermAgent: A Self-Reflective Agentic System for Dermatological Image Analysis with "
     "Multi-Tool Reasoning and Traceable Decision-Making", "Yize Liu"),
    ("3D Matting: A Benchmark Study on Soft Segmentation Method for Pulmonary Nodules Applied "
     "in Computed Tomography", "Lin Wang"),
    ("A Vision-Language Foundation Model for Zero-shot Clinical Collaboration and Automated "
     "Concept Discovery in Dermatology", "Siyuan Yan"),
    ("Benchmarking Real-World Medical Image Classification with Noisy Labels: Challenges, "
     "Practice, and Outlook", "Yuan Ma"),
    ("3D Matting: A Soft Segmentation Method Applied in Computed Tomography", "Lin Wang"),
    ("Native Intelligence Emerges from Large-Scale Clinical Practice: A Retinal Foundation "
     "Model with Deployment Efficiency", "Jia Guo"),
    ("oculomix: Hierarchical Sampling for Retinal-Based Systemic Disease Prediction",
     "Hyunmin Kim"),
    ("A Multimodal Vision Foundation Model for Clinical Dermatology", "Siyuan Yan"),
    ("Prompt-driven Latent Domain Generalization for Medical Image Classification",
     "Siyuan Yan"),
    ("Diversified and Personalized Multi-rater Medical Image Segmentation", "Yicheng Wu"),
    ("Generalizing to Unseen Domains in Diabetic Retinopathy with Disentangled "
     "Representations", "Peng Xia"),
    ("Delving into Out-of-Distribution Detection with Medical Vision-Language Models", "Lie Ju"),
    ("LMPT: Prompt Tuning with Class-Specific Embedding Loss for Long-tailed Multi-Label Visual "
     "Recognition", "Peng Xia"),
    ("Generalist versus Specialist Vision Foundation Models for Ocular Disease and Oculomics",
     "Yukun Zhou"),
    ("TP-DRSeg: Improving Diabetic Retinopathy Lesion Segmentation with Explicit Text-Prompts "
     "Assisted SAM", "Wenxue Li"),
    ("Hierarchical Knowledge Guided Learning for Real-world Retinal Diseases Recognition",
     "Lie Ju"),
    ("Unsupervised Domain Adaptation for Retinal Vessel Segmentation with Adversarial Learning "
     "and Transfer Normalization", "Wei Feng"),
    ("Medical Matting: A New Perspective on Medical Segmentation with Uncertainty", "Lin Wang"),
    ("Relational Subsets Knowledge Distillation for Long-tailed Retinal Diseases Recognition",
     "Lie Ju"),
    ("Improving Medical Image Classification with Label Noise Using Dual-uncertainty "
     "Estimation", "Lie Ju"),
    ("Leveraging Regular Fundus Images for Training UWF Fundus Diagnosis Models via "
     "Adversarial Learning and Pseudo-Labeling", "Lie Ju"),
    ("Synergic Adversarial Label Learning for Grading Retinal Diseases via Knowledge "
     "Distillation and Multi-task Learning", "Lie Ju"),
    ("Bridge the Domain Gap Between Ultra-wide-field and Traditional Fundus Images via "
     "Adversarial Domain Adaptation", "Lie Ju"),
]  # fmt: skip


@pytest.fixture(scope="module")
def parsed():
    return {name: read_text_dump(SEEDS / name) for name in COUNTS}


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_counts_and_layout(parsed, name):
    layout, n, stated = COUNTS[name]
    d = parsed[name]
    assert (d.layout, len(d.records), d.stated_count, d.rejects) == (layout, n, stated, [])
    assert [r["index"] for r in d.records] == list(range(n))
    assert "no newline at end of file" in d.notes


def test_total_is_236(parsed):
    assert sum(len(d.records) for d in parsed.values()) == 236


def test_every_compact_title_and_first_author(parsed):
    recs = parsed["004_624eb259be77fa8b.txt"].records
    assert [(r["title"], r["authors"][0]) for r in recs] == COMPACT_TITLES
    assert all(len(r["authors"]) == 3 and r["authors_truncated"] for r in recs)
    assert recs[4]["org"] == "ibm-research" and recs[4]["authors"][-1] == "Lin Wang"
    assert recs[14]["authors"] == ["Hyunmin Kim", "Yukun Zhou", "Rahul A. Jonas"]
    assert recs[21]["authors"][-1] == "Jocelyn Hui Lin Goh"


def pick(parsed, name, index):
    return parsed[name].records[index]


def test_profile_entry_with_score_and_no_year(parsed):
    r = pick(parsed, "001_c37e96d748088d53.txt", 19)
    assert r["title"].startswith("M-IDoL: Information Decomposition")
    assert (r["score"], r["category"], r["date_raw"], r["date_has_year"], r["has_code"]) == (
        49.3, "CV", "Apr 10", False, False)  # fmt: skip
    assert (r["line"], r["authors"], r["authors_truncated"]) == (
        145, ["Yihang Liu", "Ying Wen", "Jiaxiong Yang"], True)  # fmt: skip


def test_profile_entry_with_org_and_code(parsed):
    r = pick(parsed, "000_1e3b63b79e3be265.txt", 1)
    assert r["authors"] == ["Kaiyuan Gao", "Sunan He", "Zhenyu He"]
    assert (r["org"], r["category"], r["has_code"], r["date_raw"]) == (
        "pku",
        "CL",
        True,
        "Aug 27, 2023",
    )
    assert r["n_authors"] is None and r["upvotes"] is None and r["score"] is None
    short = pick(parsed, "001_c37e96d748088d53.txt", 23)  # no "et al.": complete list
    assert (short["authors"], short["authors_truncated"]) == (["Guanyu Cai", "Lianghua He"], False)


def test_daily_entries(parsed):
    d = parsed["002_f26e997f7e344e68.txt"]
    first = d.records[0]
    assert first["title"].startswith("Prompt as Knowledge Bank")
    assert (first["line"], first["n_authors"], first["date_raw"], first["upvotes"]) == (
        13, 8, "Feb 22, 2025", None)  # fmt: skip
    assert first["authors"] == [] and first["has_code"] is None and first["category"] is None
    up = d.records[9]
    assert (up["date_raw"], up["upvotes"], up["n_authors"]) == ("Sep 3, 2025", 2, 6)
    no_block = d.records[32]  # MuSc-V2: the next title follows directly
    assert no_block["title"].startswith("MuSc-V2:") and no_block["date_raw"] is None
    assert d.records[33]["title"].startswith("Contrastive Learning of Medical Visual")
    org = d.records[44]  # an organisation line in place of the author count
    assert (org["org"], org["n_authors"], org["date_raw"], org["upvotes"]) == (
        "General-Medical-AI", None, "Oct 17, 2025", 3)  # fmt: skip
    assert org["_org_name"] == "General Medical AI"
    assert d.header_date.month == 2 and d.header_date.day == 26


def test_daily_year_less_dates_and_runs_without_blocks(parsed):
    d = parsed["003_1f860fe648a8a5a7.txt"]
    assert d.records[0]["title"] == "Does DINOv3 Set a New Medical Vision Standard?"
    assert d.records[0]["date_raw"] is None
    r = next(r for r in d.records if r["title"].startswith("X-Node"))
    assert (r["date_raw"], r["upvotes"], r["date_has_year"]) == ("Aug 14", 2, False)
    no_block = [r["index"] for r in d.records if r["date_raw"] is None]
    assert no_block == [0, 2, 56, 68, 76, 87, 90]


def test_abstract_exactly_as_printed(parsed):
    r = pick(parsed, "000_1e3b63b79e3be265.txt", 4)
    raw = (SEEDS / "000_1e3b63b79e3be265.txt").read_text("utf-8").split("\n")[44]
    assert r["abstract"] == raw and "fi ne-grained" in r["abstract"]


def test_layout_is_detected_from_content_not_name(tmp_path):
    for name, (layout, n, _) in COUNTS.items():
        copy = tmp_path / f"renamed_{layout[::-1]}.csv"
        shutil.copy(SEEDS / name, copy)
        assert sniff_layout(copy) is None  # not an export, whatever the suffix says
        d = read_text_dump(copy)
        assert (d.layout, len(d.records)) == (layout, n)
