"""What NUMBA_CACHE_DIR saves: UMAP in a new process, with an empty and then a warm cache.

    .venv/bin/python -m bench.embed_numba [--n 600]

Runs the same small UMAP fit (cosine, approximate neighbours through pynndescent, as the topics
stage uses) in three fresh processes: twice sharing a new, empty NUMBA_CACHE_DIR (cold, then
warm) and prints the wall time of import + fit for each.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

CHILD = """
import time, numpy as np
t0 = time.perf_counter()
import umap
x = np.random.default_rng(0).normal(size=({n}, 384)).astype("float32")
umap.UMAP(n_neighbors=15, n_components=5, metric="cosine", random_state=42,
          force_approximation_algorithm=True).fit(x)
print(round(time.perf_counter() - t0, 2))
"""


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=600)
    args = p.parse_args()
    out = {"run": "numba-cache", "n": args.n}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("cold cache", "warm cache"):
            t0 = time.perf_counter()
            res = subprocess.run(
                [sys.executable, "-c", CHILD.format(n=args.n)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            out[label] = {"import_and_fit_s": float(res.stdout.strip().splitlines()[-1])}
            out[label]["process_s"] = round(time.perf_counter() - t0, 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
