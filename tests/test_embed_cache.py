"""The content-addressed embedding cache: round trips, key spaces, shards, clearing."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.embedding import cache as embed_cache
from pipeline.embedding.cache import EmbeddingCache, cache_root, clear, text_key
from pipeline.errors import PipelineError


def _rows(n: int, dim: int = 4, offset: int = 0) -> np.ndarray:
    return np.arange(offset, offset + n * dim, dtype=np.float32).reshape(n, dim)


def test_round_trip_and_misses(tmp_path):
    cache = EmbeddingCache(tmp_path, "enc", "v1", 4)
    keys = [text_key(t) for t in ["a", "b", "c"]]
    cache.put(keys[:2], _rows(2))
    got, found = cache.get([keys[2], keys[1], keys[0], keys[1]])
    assert found.tolist() == [False, True, True, True]
    np.testing.assert_array_equal(got[1], _rows(2)[1])
    np.testing.assert_array_equal(got[2], _rows(2)[0])
    assert np.all(got[0] == 0)
    # a new instance reads what the first one wrote
    again, found = EmbeddingCache(tmp_path, "enc", "v1", 4).get(keys)
    assert found.tolist() == [True, True, False]
    np.testing.assert_array_equal(again[:2], _rows(2))


def test_text_key_is_sha256_of_the_text():
    assert text_key("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert text_key("abc ") != text_key("abc")


def test_a_new_version_is_a_new_key_space(tmp_path):
    EmbeddingCache(tmp_path, "enc", "v1", 4).put([text_key("a")], _rows(1))
    other = EmbeddingCache(tmp_path, "enc", "v2", 4)
    assert other.get([text_key("a")])[1].tolist() == [False]
    assert other.dir != EmbeddingCache(tmp_path, "enc", "v1", 4).dir
    assert other.dir.parent == cache_root(tmp_path) / "enc"


def test_known_keys_are_not_stored_twice(tmp_path):
    cache = EmbeddingCache(tmp_path, "enc", "v1", 4)
    keys = [text_key(t) for t in "abc"]
    cache.put(keys[:2], _rows(2))
    cache.put(keys, _rows(3, offset=100))  # a and b already there: only c is added
    got, found = cache.get(keys)
    assert found.all() and len(cache) == 3
    np.testing.assert_array_equal(got[0], _rows(2)[0])
    assert len(list(cache.dir.glob("*.npy"))) == 2
    cache.put(keys, _rows(3))  # nothing new: no empty shard
    assert len(list(cache.dir.glob("*.npy"))) == 2


def test_many_shards_are_compacted(tmp_path, monkeypatch):
    monkeypatch.setattr(embed_cache, "MAX_SHARDS", 3)
    cache = EmbeddingCache(tmp_path, "enc", "v1", 4)
    keys = [text_key(str(i)) for i in range(5)]
    for i, k in enumerate(keys):
        cache.put([k], _rows(1, offset=10 * i))
    assert len(list(cache.dir.glob("*.keys.parquet"))) <= 3
    got, found = EmbeddingCache(tmp_path, "enc", "v1", 4).get(keys)
    assert found.all()
    np.testing.assert_array_equal(got[4], _rows(1, offset=40)[0])


def test_an_interrupted_write_is_ignored(tmp_path):
    cache = EmbeddingCache(tmp_path, "enc", "v1", 4)
    cache.put([text_key("a")], _rows(1))
    # a shard whose keys file never got written (process killed) does not count
    np.save(cache.dir / "shard-zzz.npy", _rows(1))
    (cache.dir / ".tmp-1-abc.parquet").write_bytes(b"partial")
    fresh = EmbeddingCache(tmp_path, "enc", "v1", 4)
    assert len(fresh) == 1


def test_wrong_shape_and_foreign_folder_are_refused(tmp_path):
    cache = EmbeddingCache(tmp_path, "enc", "v1", 4)
    with pytest.raises(ValueError):
        cache.put([text_key("a")], _rows(1, dim=3))
    cache.put([text_key("a")], _rows(1))
    with pytest.raises(PipelineError, match="delete"):
        EmbeddingCache(tmp_path, "enc", "v1", 8)


def test_clear_one_encoder_or_all(tmp_path):
    EmbeddingCache(tmp_path, "a", "v1", 4).put([text_key("x")], _rows(1))
    EmbeddingCache(tmp_path, "b", "v1", 4).put([text_key("x")], _rows(1))
    assert clear(tmp_path, "a") > 0
    assert not (cache_root(tmp_path) / "a").exists() and (cache_root(tmp_path) / "b").exists()
    assert clear(tmp_path) > 0 and not cache_root(tmp_path).exists()
    assert clear(tmp_path) == 0


class _Counting:
    """A stand-in model for CachedEncoder: it counts the texts it is asked to encode."""

    name, version, dim = "counting", "c1", 4

    def __init__(self):
        self.asked: list[str] = []

    def encode(self, texts, progress=False):
        self.asked += list(texts)
        return np.array([[len(t), 1.0, 0.0, 0.0] for t in texts], dtype=np.float32).reshape(-1, 4)


def test_cached_encoder_encodes_a_text_once_across_runs(tmp_path):
    from pipeline.embedding.texts import CachedEncoder

    first = _Counting()
    words = ["anomaly", "segmentation", "anomaly"]
    got = CachedEncoder(first, EmbeddingCache(tmp_path, "counting", "c1", 4)).encode(words)
    assert first.asked == ["anomaly", "segmentation"]  # a repeated text is encoded once

    second = _Counting()  # the next run: a new process, the same cache folder
    again = CachedEncoder(second, EmbeddingCache(tmp_path, "counting", "c1", 4))
    np.testing.assert_array_equal(again.encode(["segmentation", "anomaly"]), got[[1, 0]])
    assert second.asked == []  # every word came from the cache: the model was never called
    again.encode(["anomaly", "detection"])
    assert second.asked == ["detection"]
    assert again.encode([]).shape == (0, 4)


def test_the_vocabulary_is_embedded_once_per_reference(tmp_path):
    """fit_topics puts every vocabulary word in the embedding cache when a vocabulary is new,
    so KeyBERT's candidate words on later dumps never need the model."""
    from sklearn.feature_extraction.text import CountVectorizer

    from pipeline.embedding.texts import CachedEncoder
    from pipeline.io import PickleStore
    from pipeline.topics.fit import embed_vocabulary

    vectorizer = CountVectorizer().fit(["anomaly detection in x-rays", "domain adaptation"])
    words = vectorizer.get_feature_names_out().tolist()
    store = PickleStore(tmp_path / "fits")

    def cached(model):
        return CachedEncoder(model, EmbeddingCache(tmp_path / "emb", "counting", "c1", 4))

    first = _Counting()
    embed_vocabulary(cached(first), vectorizer, store, "vocab-1")
    assert sorted(first.asked) == sorted(words)
    later = _Counting()  # the next dump: same vocabulary, same caches
    embed_vocabulary(cached(later), vectorizer, store, "vocab-1")
    assert later.asked == []
    assert cached(later).encode(["anomaly", "adaptation"]).shape == (2, 4) and later.asked == []
    plain = _Counting()  # an encoder without a cache would only do the work again: not sent
    embed_vocabulary(plain, vectorizer, store, "vocab-2")
    embed_vocabulary(cached(plain), vectorizer, PickleStore(None), "vocab-2")
    assert plain.asked == []
