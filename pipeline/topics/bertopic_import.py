"""Import BERTopic without the torch and transformers imports it makes for features unused here.

At import, BERTopic imports `transformers.pipelines` (for its TextGeneration and
ZeroShotClassification models) and torch (to save models in the legacy pytorch format). This
project uses none of them: models are saved as safetensors, which BERTopic writes with numpy.
Those imports cost about 4 s per process on 2 cores: `import bertopic` takes 7.5 to 8.7 s with
them and 3.0 to 3.7 s without (bench/RESULTS.md, "Start-up, second pass"). With both hidden
while BERTopic is imported, it sets those features aside exactly as it does where the
packages are not installed; afterwards both import normally (the encoder imports torch when
it has new words to embed).

The libraries BERTopic builds on are imported first, with nothing hidden: some (scipy.stats)
look at torch while they are imported, and must see the real state.
"""

from __future__ import annotations

import sys

HIDDEN = ("transformers", "torch")


def import_bertopic() -> None:
    """Import BERTopic once per process, with `HIDDEN` packages hidden if not yet loaded."""
    if "bertopic" in sys.modules:
        return
    import hdbscan  # noqa: F401
    import scipy.cluster.hierarchy  # noqa: F401
    import scipy.stats  # noqa: F401
    import sklearn.cluster  # noqa: F401
    import sklearn.decomposition  # noqa: F401
    import sklearn.feature_extraction.text  # noqa: F401
    import sklearn.metrics.pairwise  # noqa: F401
    import sklearn.preprocessing  # noqa: F401
    import umap  # noqa: F401

    hidden = [name for name in HIDDEN if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # makes `import <name>` raise ModuleNotFoundError
    try:
        import bertopic  # noqa: F401
    finally:
        for name in hidden:
            del sys.modules[name]
