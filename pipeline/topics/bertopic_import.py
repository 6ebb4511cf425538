"""Import BERTopic without the transformers pipelines it never uses here.

At import, BERTopic's representation package imports `transformers.pipelines` for its
TextGeneration and ZeroShotClassification models. This project uses neither, and that import
costs about 3 s per process on 2 cores (measured in bench/RESULTS.md, "A dump in under 30 s"),
more than assigning a weekly dump to the topics takes. With transformers hidden while BERTopic
is imported, BERTopic puts its own NotInstalled placeholders there, exactly as it does where
transformers is not installed; everything the pipeline calls is unaffected.
"""

from __future__ import annotations

import sys


def import_bertopic() -> None:
    """Import BERTopic once per process, with transformers hidden if nothing has loaded it."""
    if "bertopic" in sys.modules:
        return
    if "transformers" in sys.modules:  # already paid for: nothing to save
        import bertopic  # noqa: F401

        return
    sys.modules["transformers"] = None  # makes `import transformers` raise ModuleNotFoundError
    try:
        import bertopic  # noqa: F401
    finally:
        del sys.modules["transformers"]
