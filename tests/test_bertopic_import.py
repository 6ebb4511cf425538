"""BERTopic is imported without torch and transformers, and both still import afterwards."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from pipeline.topics.bertopic_import import import_bertopic
import_bertopic()
assert "bertopic" in sys.modules
assert "transformers" not in sys.modules and "torch" not in sys.modules
from bertopic import BERTopic
from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance
import torch, transformers  # hidden only while BERTopic was imported
assert sys.modules["transformers"] is transformers and sys.modules["torch"] is torch
assert torch.ones(2).sum().item() == 2.0
print("ok")
"""


def test_bertopic_imports_without_torch_or_transformers_and_leaves_them_importable():
    # A fresh process: in the test session something may have imported either already.
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
