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

# The files that take minutes (a cold `dvc repro` or two) go first: `make test` runs the suite
# on pytest-xdist workers, one file per worker at a time, and a long file that starts last
# leaves every other worker idle while it runs.
SLOW_FILES = ("test_e2e.py", "test_repro.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name not in SLOW_FILES)  # stable: the rest keep order


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def dask_scheduler():
    """One 2-worker LocalCluster for the session, reached by address like a real cluster."""
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address
