"""The ingest stage parses text dumps on a 2-worker Dask LocalCluster and writes the same bytes
as the local engine; parse errors come back from the workers unchanged, in file order."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.errors import InputDataError
from pipeline.stages import ingest

pytestmark = pytest.mark.slow  # talks to worker processes of the session's LocalCluster

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "dumps"
FILES = ("records.parquet", "extras.parquet", "rejects.jsonl")


def _cfg(root: Path, seeds: Path, engine: dict, lenient: bool = False) -> Config:
    return Config.model_validate(
        {
            "paths": {
                "seeds": str(seeds),
                "outputs": str(root / "outputs"),
                "snapshots": str(ROOT / "configs" / "snapshots.yaml"),
            },
            "ingest": {"lenient": lenient, "chunk_rows": 2},
            "engine": engine,
        }
    )


def _both(tmp_path: Path, seeds: Path, address: str, lenient: bool = False) -> list[dict]:
    """Each engine's totals, output bytes and dumps.json, from the same seeds folder."""
    runs = []
    for name, engine in (("local", {}), ("dask", {"kind": "dask", "address": address})):
        cfg = _cfg(tmp_path / name, seeds, engine, lenient)
        totals = ingest.run(cfg)
        out = cfg.stage_dir("ingest")
        runs.append(
            {
                "totals": totals,
                "bytes": {f: (out / f).read_bytes() for f in FILES},
                "dumps": json.loads((out / "dumps.json").read_text("utf-8")),
            }
        )
    return runs


def _truncated_profile() -> str:
    text = (DATA / "profile.txt").read_text("utf-8")
    return text[: text.index("Abstract of the third")]  # the last entry loses its abstract


def test_seeds_and_export_are_byte_identical_on_dask(tmp_path, dask_scheduler):
    seeds = tmp_path / "seeds"
    shutil.copytree(ROOT / "seeds", seeds)
    shutil.copy(DATA / "export.jsonl", seeds / "feed.jsonl")
    local, dask = _both(tmp_path, seeds, dask_scheduler)
    assert local["totals"]["dumps"] == 6 and local["totals"]["records"] == 236 + 3
    assert dask["bytes"] == local["bytes"]
    assert dask["dumps"] == local["dumps"]
    assert dask["totals"] == local["totals"]


def test_bad_dumps_strict_and_lenient_as_local(tmp_path, dask_scheduler):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(DATA / "daily.txt", seeds)
    (seeds / "cut.txt").write_text(_truncated_profile(), "utf-8")
    (seeds / "notes.txt").write_text("\n\nJust some notes\nnothing else\n", "utf-8")
    shutil.copy(DATA / "export.jsonl", seeds / "rows.jsonl")

    errors = []
    for engine in ({}, {"kind": "dask", "address": dask_scheduler}):
        with pytest.raises(InputDataError) as e:
            ingest.run(_cfg(tmp_path / "strict", seeds, engine))
        errors.append(e.value)
    local_err, dask_err = errors
    assert type(dask_err) is InputDataError and dask_err.exit_code == InputDataError.exit_code
    assert "cut.txt:26" in str(dask_err) and "truncated entry" in str(dask_err)
    assert (str(dask_err), dask_err.path, dask_err.line) == (
        str(local_err),
        local_err.path,
        local_err.line,
    )

    local, dask = _both(tmp_path, seeds, dask_scheduler, lenient=True)
    rejects = [json.loads(x) for x in dask["bytes"]["rejects.jsonl"].decode().splitlines()]
    assert {(r["dump"], r["line"]) for r in rejects} == {("cut.txt", 26), ("notes.txt", 3)}
    assert dask["dumps"]["dumps"]["notes.txt"]["status"] == "unreadable"
    assert dask["bytes"] == local["bytes"]
    assert dask["dumps"] == local["dumps"]


def test_strict_error_is_the_first_in_file_order(tmp_path, dask_scheduler):
    """A worker's parse error in an early dump wins over a later file that fails to sniff,
    and over a later dump whose task may finish first."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a_cut.txt").write_text(_truncated_profile(), "utf-8")
    (seeds / "b_notes.txt").write_text("\n\nJust some notes\nnothing else\n", "utf-8")
    (seeds / "c_blob.txt").write_bytes(bytes(range(256)))
    for engine in ({}, {"kind": "dask", "address": dask_scheduler}):
        with pytest.raises(InputDataError) as e:
            ingest.run(_cfg(tmp_path / "out", seeds, engine))
        assert (Path(e.value.path).name, e.value.line) == ("a_cut.txt", 26)
