"""Shared test set-up: offline model loading and a numba cache outside the repo's outputs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# No machine here reaches a model hub: fail fast instead of hanging on a download.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("NUMBA_CACHE_DIR", str(REPO / ".cache" / "papertrends" / "numba"))


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
