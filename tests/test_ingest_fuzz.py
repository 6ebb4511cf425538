"""Issue 11: mutation fuzzing over the seed dumps and the test fixtures (see fuzz_dumps).

Properties, for every mutated dump: only InputDataError is ever raised; entries = records +
rejects; a strict run fails exactly where a lenient one rejects something; no record's
abstract is a title and no record's title an abstract; every entry whose lines were not
touched parses to the same fields (or is reported, never lost); no date after the run's.

A fixed, derandomised set of 3,000 runs in every `make test` (about 15 s); counterexamples the
fuzzing found stay below as @example. The long run, skipped unless asked for:
`FUZZ_EXAMPLES=50000 .venv/bin/pytest -m slow -s tests/test_ingest_fuzz.py -k long`
(about 4 minutes; figures in bench/RESULTS.md).
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest
from fuzz_dumps import CONTROL, FINISHES, ROOT, SOURCES, Mutant, check
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline.config import Config
from pipeline.errors import InputDataError
from pipeline.stages import ingest

FIXED_EXAMPLES = 3000
LONG_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0"))

line = st.integers(0, 10**6)  # taken modulo the number of lines
control_bytes = st.binary(min_size=1, max_size=8).map(
    lambda b: bytes(CONTROL[x % len(CONTROL)] for x in b))  # fmt: skip
op = st.one_of(
    st.tuples(st.sampled_from(["delete", "duplicate", "recode"]), line),
    st.tuples(st.just("swap"), line, st.one_of(st.integers(1, 3), line)),  # near or anywhere
    st.tuples(st.sampled_from(["control", "high"]), line, st.integers(0, 10**4), control_bytes),
)
mutation = st.fixed_dictionaries({
    "source": st.sampled_from(SOURCES), "ops": st.lists(op, max_size=3),
    "cut": st.one_of(st.none(), st.floats(0, 1)), "finish": st.sampled_from(FINISHES),
})  # fmt: skip
STATS: Counter = Counter()


def _seed(name: str) -> Path:
    return next(s for s in SOURCES if s.name == name)


def _fuzz(tmp_path_factory, m: dict) -> None:
    tmp = tmp_path_factory.mktemp("fuzz", numbered=True)
    try:
        STATS.update(check(m["source"], tmp, m["ops"], m["cut"], m["finish"]))
        STATS["examples"] += 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# Counterexamples the fuzzing found, each fixed in the parsers.
FOUND = [
    # the abstract swapped for a sentence-case title far away became that entry's abstract
    {
        "source": _seed("003_1f860fe648a8a5a7.txt"),
        "ops": [("duplicate", 147608), ("swap", 805422, 632078)],
        "cut": None,
        "finish": "crlf",
    },  # fmt: skip
    # a damaged entry before a block: an earlier entry took the block (and its date)
    {
        "source": _seed("003_1f860fe648a8a5a7.txt"),
        "ops": [("delete", 506374), ("duplicate", 666550)],
        "cut": 0.8783437492009086,
        "finish": "utf-16",
    },  # fmt: skip
    # "Daily Papers" swapped into the body made the first entry part of the header
    {
        "source": _seed("daily.txt"),
        "ops": [("swap", 631062, 69698)],
        "cut": None,
        "finish": "none",
    },  # fmt: skip
    # the header's title line junked: "new" + "byAK ..." became an entry
    {
        "source": _seed("daily.txt"),
        "ops": [("swap", 98735, 3), ("delete", 819687), ("control", 664198, 334519, b"\x16")],
        "cut": None,
        "finish": "gzip",
    },  # fmt: skip
    # a blanked junk line tipped a small compact dump into the profile layout
    {
        "source": _seed("compact.txt"),
        "ops": [
            ("control", 109913, 3, b"\x12\x03\x18"),
            ("control", 886650, 1, b"\x1e\x1d\x13\x1b"),
            ("swap", 426769, 1),
        ],
        "cut": None,
        "finish": "gzip",
    },  # fmt: skip
    # control bytes in a CSV column name rejected every row; CRLF inside a quoted cell
    {
        "source": _seed("export.csv"),
        "ops": [("control", 814485, 1, b"\x10\x00")],
        "cut": None,
        "finish": "crlf",
    },  # fmt: skip
]


def _with_found(test):
    for m in FOUND:
        test = example(m=m)(test)
    return test


@settings(max_examples=FIXED_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])  # fmt: skip
@given(m=mutation)
@_with_found
def test_mutated_dumps_keep_the_properties(tmp_path_factory, m):
    _fuzz(tmp_path_factory, m)


@pytest.mark.slow
@pytest.mark.skipif(not LONG_EXAMPLES, reason="long fuzz run: set FUZZ_EXAMPLES (e.g. 50000)")
@settings(max_examples=max(LONG_EXAMPLES, 1), deadline=None, database=None,
          suppress_health_check=list(HealthCheck))  # fmt: skip
@given(m=mutation)
def test_long_fuzz_run(tmp_path_factory, m):
    _fuzz(tmp_path_factory, m)


def teardown_module() -> None:
    if STATS:
        print(f"\nfuzz: {dict(STATS)}")


def test_untouched_sources_parse_as_their_baseline(tmp_path):
    for source in SOURCES:
        assert check(source, tmp_path, [], None, "none")["untouched_lost"] == 0


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(ms=st.lists(mutation, min_size=1, max_size=4, unique_by=lambda m: m["source"].name))
def test_ingest_accounts_for_every_entry_of_mutated_dumps(tmp_path_factory, ms):
    """The stage itself, strict and lenient, over a folder of damaged dumps: dumps.json says
    entries = records + rejects per dump and rejects.jsonl holds every reject."""
    tmp = tmp_path_factory.mktemp("ingest", numbered=True)
    seeds = tmp / "seeds"
    seeds.mkdir()
    for m in ms:
        lines = m["source"].read_bytes().split(b"\n")
        mutant = Mutant([(i, t) for i, t in enumerate(lines, start=1)], finish=m["finish"])
        for o in m["ops"]:
            mutant.apply(o)
        (seeds / m["source"].name).write_bytes(mutant.data())

    def cfg(lenient: bool) -> Config:
        return Config.model_validate({"paths": {
            "seeds": str(seeds), "outputs": str(tmp / "out"),
            "snapshots": str(ROOT / "configs" / "snapshots.yaml")},
            "ingest": {"lenient": lenient, "chunk_rows": 2}})  # fmt: skip

    try:
        ingest.run(cfg(False))
        strict_ok = True
    except InputDataError:
        strict_ok = False
    totals = ingest.run(cfg(True))
    out = tmp / "out" / "ingest"
    dumps = json.loads((out / "dumps.json").read_text())
    rejects = (out / "rejects.jsonl").read_text().splitlines()
    for d in dumps["dumps"].values():
        if d.get("status") != "unreadable":
            assert d["entries"] == d["records"] + d["rejects"]
    assert totals == dumps["totals"]
    assert len(rejects) == totals["rejects"] + totals["unreadable_dumps"]
    lenient_clean = not rejects and not any(
        d.get("refused_dates") or any("no date column" in n for n in d.get("notes", []))
        for d in dumps["dumps"].values())  # fmt: skip
    assert strict_ok == lenient_clean
    shutil.rmtree(tmp, ignore_errors=True)
