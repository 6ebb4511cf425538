""".dvcignore hides build and editor droppings inside directory deps, and no real input.

A `__pycache__/` that Python writes into pipeline/parsers/ would otherwise change that dep's
hash, so `dvc repro` would re-run ingest (and, through it, nothing else) for no change.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

DVC = Path(sys.executable).parent / "dvc"
DROPPINGS = [
    "__pycache__/base.cpython-311.pyc",
    "stray.pyc",
    ".pytest_cache/v/cache/nodeids",
    ".hypothesis/examples/x",
    ".ipynb_checkpoints/a-checkpoint.csv",
    ".DS_Store",
    "notes.txt~",
    ".notes.txt.swp",
    ".#notes.txt",
]


def directory_deps(repo: Path) -> list[str]:
    """Folders that dvc.yaml lists as deps (paths templated from params.yaml resolved)."""
    paths = yaml.safe_load((repo / "configs" / "params.yaml").read_text())["paths"]
    stages = yaml.safe_load((repo / "dvc.yaml").read_text())["stages"]
    deps = {
        re.sub(r"\$\{paths\.(\w+)\}", lambda m: str(paths[m.group(1)]), d)
        for spec in stages.values()
        for d in spec["deps"]
    }
    outputs = str(paths["outputs"])
    return sorted(d for d in deps if (repo / d).is_dir() and not d.startswith(outputs))


def ignored(root: Path, paths: list[str]) -> dict[str, bool]:
    out = subprocess.run(
        [str(DVC), "check-ignore", "--details", "--non-matching", *paths],
        cwd=root,
        capture_output=True,
        text=True,
    ).stdout
    return {
        path: source != "::" for source, path in (line.split("\t") for line in out.splitlines())
    }


@pytest.mark.skipif(not DVC.exists(), reason="dvc is not installed beside this Python")
def test_droppings_are_ignored_and_inputs_are_not(repo: Path, tmp_path: Path):
    subprocess.run([str(DVC), "init", "--no-scm", "-q"], cwd=tmp_path, check=True)
    shutil.copy(repo / ".dvcignore", tmp_path / ".dvcignore")
    dirs = directory_deps(repo)
    assert "pipeline/parsers" in dirs and "seeds" in dirs
    inputs = [
        str(p.relative_to(repo))
        for d in dirs
        for p in (repo / d).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    ]
    droppings = [f"{d}/{name}" for d in dirs for name in DROPPINGS]
    for path in inputs + droppings:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).touch()
    result = ignored(tmp_path, inputs + droppings)
    assert [p for p in droppings if not result[p]] == []
    assert [p for p in inputs if result[p]] == []
