"""UMAP's kernels recompiled with numba's cache (pipeline/topics/kernels.py): the same numbers
as umap's own, and a second process loads them from the cache instead of compiling them."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

import numpy as np

from pipeline.config import Config
from pipeline.topics.build import build_umap

SCRIPT = """
import json, pickle, sys
import numpy as np
import pipeline.topics.kernels as k

swap, fitted, out = sys.argv[1] == "swap", sys.argv[2], sys.argv[3]
if swap:
    k.cache_umap_kernels()
with open(fitted, "rb") as fh:
    reducer, X = pickle.load(fh)
np.save(out, reducer.transform(X))
stats = {}
for name, kernels in k.KERNELS.items():
    module = sys.modules[name]
    for kernel in kernels:
        d = getattr(module, kernel)
        stats[kernel] = {"hits": sum(d.stats.cache_hits.values()),
                         "misses": sum(d.stats.cache_misses.values()),
                         "cached": type(d._cache).__name__ != "NullCache"}
print(json.dumps(stats))
"""


def _run(tmp_path, mode: str, name: str) -> tuple[np.ndarray, dict]:
    out = tmp_path / f"{name}.npy"
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode, str(tmp_path / "fitted.pkl"), str(out)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return np.load(out), json.loads(proc.stdout.strip().splitlines()[-1])


def test_cached_kernels_give_umaps_numbers_and_load_from_the_cache(tmp_path):
    # The processes inherit the suite's numba cache (conftest), so pynndescent's own cached
    # kernels are not compiled again; the first swapped run compiles ours or finds them, the
    # second must find them.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 24)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    # Fitted here, transformed in fresh processes: transform is where the kernels are compiled.
    reducer = build_umap(Config().topics.umap, 250, 42).fit(X[:250])
    (tmp_path / "fitted.pkl").write_bytes(pickle.dumps((reducer, X[250:])))
    own, own_stats = _run(tmp_path, "own", "own")
    first, _ = _run(tmp_path, "swap", "first")
    second, second_stats = _run(tmp_path, "swap", "second")

    assert not any(s["cached"] for s in own_stats.values())  # the control really is umap's own
    np.testing.assert_array_equal(first, own)
    np.testing.assert_array_equal(second, own)
    for kernel in ("smooth_knn_dist", "compute_membership_strengths"):
        assert second_stats[kernel]["cached"], kernel
        assert second_stats[kernel]["hits"] > 0 and second_stats[kernel]["misses"] == 0, kernel
