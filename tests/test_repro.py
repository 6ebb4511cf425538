"""`dvc repro` is reproducible and crash-safe (issue 11), on copies of the project.

Two cold runs (no outputs, no caches, no dvc.lock) must write byte-identical files under
outputs/, the dashboard included; a stage killed halfway must leave nothing that the next
`dvc repro` takes for finished. Fast params (tfidf, one UMAP fit per reference, no stability
refits or baselines, two CV folds) keep each run near a minute; both cold runs go side by
side, one per core.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from test_e2e import COPY_IGNORE, _dvc

pytestmark = pytest.mark.slow

FAST = {
    "embed": {"encoder": "tfidf"},
    "topics": {"stability_seeds": [], "baselines": [], "representation": "none", "candidates": 1},
    "themes": {"compare": [], "cv_folds": 2},
    # Off by default; on here because a picture of the page shows a layout that races.
    "dashboard": {"screenshot": True},
}
# embed/meta.json reports how long encoding took: wall times, the one thing meant to vary.
TIMINGS = {"embed/meta.json": ("seconds", "encoded_per_second")}
KILL_STAGE = "trends"  # writes its tables, then renders PNGs for seconds: a window to kill in


def _copy(repo: Path, work: Path) -> Path:
    shutil.copytree(repo, work, ignore=COPY_IGNORE)
    (work / "dvc.lock").unlink(missing_ok=True)
    params = work / "configs" / "params.yaml"
    cfg = yaml.safe_load(params.read_text("utf-8"))
    for section, values in FAST.items():
        cfg[section].update(values)
    params.write_text(yaml.safe_dump(cfg, sort_keys=False), "utf-8")
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    return work


def _dvc_cmd(work: Path, *args: str, **kw) -> subprocess.Popen:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    dvc = str(Path(sys.executable).parent / "dvc")
    return subprocess.Popen([dvc, *args], cwd=work, env=env, **kw)


def _hashes(work: Path) -> dict[str, str]:
    out = work / "outputs"
    hashes = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = path.relative_to(out).as_posix()
        data = path.read_bytes()
        if rel in TIMINGS:
            obj = {k: v for k, v in json.loads(data).items() if k not in TIMINGS[rel]}
            data = json.dumps(obj, sort_keys=True).encode()
        hashes[rel] = hashlib.sha256(data).hexdigest()
    return hashes


@pytest.fixture(scope="module")
def cold_runs(tmp_path_factory, repo: Path) -> list[Path]:
    """Two copies, each run cold, side by side."""
    works = [_copy(repo, tmp_path_factory.mktemp("repro") / name) for name in ("a", "b")]
    runs = [_dvc_cmd(w, "repro", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for w in works]  # fmt: skip
    for run in runs:
        log, _ = run.communicate()
        assert run.returncode == 0, f"dvc repro failed:\n{log[-4000:]}"
    return works


def test_two_cold_runs_are_byte_identical(cold_runs):
    first, second = (_hashes(w) for w in cold_runs)
    assert "dashboard/index.html" in first and "ingest/dumps.json" in first
    assert sorted(first) == sorted(second)
    assert [k for k in first if first[k] != second[k]] == []


def test_a_killed_stage_is_not_taken_for_finished(cold_runs):
    work = cold_runs[0]
    complete = _hashes(work)
    partial = _kill_midway(work, KILL_STAGE)
    stage_files = {k for k in complete if k.startswith(f"{KILL_STAGE}/")}
    assert partial and not stage_files <= partial, "the stage was not caught halfway"
    assert KILL_STAGE in _dvc(work, "status")  # DVC sees its outputs are not the locked ones
    log = _dvc(work, "repro")
    assert f"'{KILL_STAGE}'" in log  # re-run or restored, not skipped
    assert _hashes(work) == complete
    assert "Data and pipelines are up to date" in _dvc(work, "repro")


def _present(out: Path, stage: str) -> set[str]:
    """The stage's files right now; DVC may delete the folder while we look."""
    try:
        return {p.relative_to(out).as_posix() for p in (out / stage).rglob("*") if p.is_file()}
    except FileNotFoundError:
        return set()


def _kill_midway(work: Path, stage: str, tries: int = 3) -> set[str]:
    """Force `stage` to run again and SIGKILL it (and DVC) once it has written some but not
    all of its files; the files present at that moment."""
    out = work / "outputs"
    n_files = sum(1 for p in (out / stage).rglob("*") if p.is_file())
    for _ in range(tries):
        proc = _dvc_cmd(work, "repro", "--force", "--single-item", stage,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                        start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline:
            files = _present(out, stage)
            if 0 < len(files) < n_files:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return files
            time.sleep(0.01)
        proc.wait()
    return set()
