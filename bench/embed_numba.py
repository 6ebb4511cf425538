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


def in_fresh_processes(code: str, runs: int) -> list[tuple[str, float]]:
    """Run `code` in `runs` new Python processes, one after the other, sharing one new, empty
    NUMBA_CACHE_DIR; each run's stdout and wall seconds."""
    out = []
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for _ in range(runs):
            t0 = time.perf_counter()
            res = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            )
            out.append((res.stdout, round(time.perf_counter() - t0, 2)))
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=600)
    args = p.parse_args()
    out = {"run": "numba-cache", "n": args.n}
    runs = in_fresh_processes(CHILD.format(n=args.n), 2)
    for label, (stdout, seconds) in zip(("cold cache", "warm cache"), runs, strict=True):
        out[label] = {
            "import_and_fit_s": float(stdout.strip().splitlines()[-1]),
            "process_s": seconds,
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
