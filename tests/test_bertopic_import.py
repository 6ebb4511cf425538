"""BERTopic is imported without transformers, and transformers still imports afterwards."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from pipeline.topics.bertopic_import import import_bertopic
import_bertopic()
assert "bertopic" in sys.modules and "transformers" not in sys.modules
from bertopic import BERTopic
from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance
import transformers  # hidden only while BERTopic was imported
assert sys.modules["transformers"] is transformers
print("ok")
"""


def test_bertopic_imports_without_transformers_and_leaves_it_importable():
    # A fresh process: in the test session something may have imported either already.
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
