"""UMAP's numba kernels, compiled once per machine instead of once in every process.

umap-learn 0.5 compiles a few of the kernels that every `transform` runs without numba's
`cache=True`, so each process compiled them again: about 10 s of the topics stage on a dump
whose only new work is assigning 45 papers (bench/RESULTS.md, "The weekly workflow"). They are
recompiled here from the same Python source with the same options plus `cache=True`, so the
machine code lands in `NUMBA_CACHE_DIR` (the CLI points it at `paths.cache`). Same source, same
options, same results: `tests/test_kernels.py` compares them with umap's own.

Only module-level kernels with one set of options are listed; umap's parallel and serial
variants of one function would share a cache entry, so the parallel epoch kernel is left alone
(the pipeline always seeds UMAP, which makes it run the serial one).
"""

from __future__ import annotations

KERNELS = {
    "umap.umap_": ("smooth_knn_dist", "compute_membership_strengths"),
    "umap.utils": ("submatrix",),
    "umap.layouts": ("_nb_optimize_layout_euclidean_single_epoch",),
}
_done = False


def cache_umap_kernels() -> None:
    """Swap the listed kernels for cached twins, everywhere umap refers to them (idempotent)."""
    global _done
    if _done:
        return
    import importlib
    import sys

    import numba

    swapped = {}
    for name, kernels in KERNELS.items():
        module = importlib.import_module(name)
        for kernel in kernels:
            old = getattr(module, kernel)
            options = {k: v for k, v in old.targetoptions.items() if k != "nopython"}
            swapped[id(old)] = numba.njit(cache=True, locals=old.locals, **options)(old.py_func)
    # `from umap.utils import submatrix` copies the reference: rebind it in every umap module.
    for name, module in list(sys.modules.items()):
        if name == "umap" or name.startswith("umap."):
            for attr, value in list(vars(module).items()):
                if id(value) in swapped:
                    setattr(module, attr, swapped[id(value)])
    _done = True
