"""What a process that fits UMAP pays before any work: numba compiling pynndescent.

    .venv/bin/python -m bench.nndescent_compile [--n 300]

Builds the same small NNDescent index (cosine, as UMAP's approximate neighbours in the topics
stage) in three fresh processes sharing one new NUMBA_CACHE_DIR, and prints import and build
seconds for each. pynndescent's `nn_descent` calls `numba.get_num_threads()` and takes the
distance as an argument, so numba cannot cache it: the build stays as slow in the second and
third process as in the first, while the import (whose kernels are cached) gets faster.
"""

from __future__ import annotations

import argparse
import json

from bench.embed_numba import in_fresh_processes

CHILD = """
import time, numpy as np
t0 = time.perf_counter()
import pynndescent
t1 = time.perf_counter()
x = np.random.default_rng(0).normal(size=({n}, 128)).astype("float32")
pynndescent.NNDescent(x, n_neighbors=15, metric="cosine", random_state=42, low_memory=True)
print(round(t1 - t0, 2), round(time.perf_counter() - t1, 2))
"""


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=300)
    args = p.parse_args()
    out: dict = {"run": "nndescent-compile", "n": args.n, "processes": []}
    for stdout, _ in in_fresh_processes(CHILD.format(n=args.n), 3):
        imported, built = map(float, stdout.split())
        out["processes"].append({"import_s": imported, "build_s": built})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
