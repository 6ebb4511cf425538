"""dvc.yaml lists exactly the code and params each stage's outputs depend on.

DVC re-runs a stage only when a listed dep or params key changes, and it does not follow
imports: a shared module missing from a stage's deps leaves stale outputs after a fix, and an
unneeded one re-runs the stage for nothing. The closure and the keys come from the source
(tests/dvc_closure.py).

The entry point (`python -m pipeline <stage>`: pipeline/__main__.py, pipeline/cli.py) is in no
stage's deps on purpose: the CLI only loads the params file (whose keys DVC tracks as params)
and calls the stage's `run(cfg)`; its help texts, logging and timing never reach an output,
and listing it would re-run all eight stages for a help-text edit. The test below that the
CLI imports nothing a stage does not import already keeps that true.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from dvc_closure import (
    PACKAGE,
    REPO,
    import_closure,
    is_build_dropping,
    package_data,
    params_read,
    section_fields,
)

from pipeline.config import Config

DVC = yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
PARAMS_FILE = "configs/params.yaml"

# Keys that decide where or how a stage runs, never what it writes: the engine's cluster
# settings (tests/test_*_engine.py check both engines give the same outputs) and the location
# of the content-keyed cache. (embed's meta.json reports them, with the run's timings: a
# report of the run, not data.) Listing them would re-run a stage for nothing.
EXECUTION_ONLY = {
    "engine.kind",
    "engine.address",
    "engine.n_workers",
    "engine.threads_per_worker",
    "paths.cache",
}


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO))


def _closure(stage: str) -> frozenset[Path]:
    return import_closure(PACKAGE / "stages" / f"{stage}.py")


def code_dep_problems(stage: str, deps: list[str]) -> list[str]:
    closure = _closure(stage)
    needed = set(closure) | package_data(closure)
    listed = [REPO / d.rstrip("/") for d in deps if d.startswith("pipeline/")]
    problems = [
        f"{_rel(p)}: the stage imports or reads it, but it is not in deps"
        for p in sorted(needed)
        if not any(p == dep or dep in p.parents for dep in listed)
    ]
    for dep in listed:
        if not dep.exists():
            problems.append(f"{_rel(dep)}: listed in deps, does not exist")
        elif dep.is_file() and dep not in needed:
            problems.append(f"{_rel(dep)}: listed in deps, the stage never imports or reads it")
        elif dep.is_dir():
            inside = [p for p in dep.rglob("*") if p.is_file() and not is_build_dropping(p)]
            unused = sorted(_rel(p) for p in inside if p not in needed)
            if unused:
                problems.append(
                    f"{_rel(dep)}/: the stage does not use {unused}: list the files it uses"
                )
    return problems


def _listed_params(spec: dict) -> list[str]:
    keys = []
    for entry in spec.get("params", []):
        if isinstance(entry, str):
            keys.append(entry)
        else:
            keys += [k for file, ks in entry.items() if file == PARAMS_FILE for k in ks]
    return keys


def params_problems(stage: str, spec: dict) -> list[str]:
    """Every key the code reads is listed (its section, or the key); every listed key is read;
    a whole section is listed only when the code reads all of it."""
    # A paths key spelt into the deps or outs changes the stage through them anyway.
    templated = {f"paths.{k}" for k in re.findall(r"\$\{paths\.(\w+)\}", str(spec))}
    needed, whole = set(), set()
    for section, key in params_read(_closure(stage)):
        if key is not None:
            needed.add(f"{section}.{key}")
        elif section_fields(section):
            whole.add(section)
            needed |= {f"{section}.{k}" for k in section_fields(section)}
        else:
            needed.add(section)
    needed -= EXECUTION_ONLY | templated
    listed = _listed_params(spec)
    missing = sorted(k for k in needed if k not in listed and k.split(".")[0] not in listed)
    for section in whole:  # one line for a section the code reads whole
        own = [k for k in missing if k.startswith(f"{section}.")]
        if len(own) == len(needed & {f"{section}.{k}" for k in section_fields(section)}):
            missing = [k for k in missing if k not in own] + [section]
    problems = [f"params: the stage reads {k}, not listed" for k in missing]
    for entry in listed:
        section, _, key = entry.partition(".")
        own = sorted(k for k in needed if k.startswith(f"{section}."))
        if section not in Config.model_fields or (key and key not in section_fields(section)):
            problems.append(f"params: {entry} is not a params key")
        elif entry in EXECUTION_ONLY:
            problems.append(f"params: {entry} decides how the stage runs, not what it writes")
        elif entry in templated:
            continue
        elif key and entry not in needed:
            problems.append(f"params: {entry} is listed, the stage never reads it")
        elif not key and section_fields(section) and len(own) < len(section_fields(section)):
            problems.append(f"params: {entry} is listed whole, list only what it reads: {own}")
        elif not key and not section_fields(section) and entry not in needed:
            problems.append(f"params: {entry} is listed, the stage never reads it")
    return problems


@pytest.mark.parametrize("stage", sorted(DVC))
def test_code_deps_are_the_import_closure(stage: str):
    problems = code_dep_problems(stage, DVC[stage]["deps"])
    assert not problems, f"dvc.yaml stage {stage}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("stage", sorted(DVC))
def test_params_are_the_keys_the_code_reads(stage: str):
    problems = params_problems(stage, DVC[stage])
    assert not problems, f"dvc.yaml stage {stage}:\n  " + "\n  ".join(problems)


def test_every_stage_module_is_a_dvc_stage():
    modules = {p.stem for p in (PACKAGE / "stages").glob("*.py") if p.stem != "__init__"}
    assert modules == set(DVC)
    for stage, spec in DVC.items():
        assert spec["cmd"] == f"python -m pipeline {stage}"
        assert f"pipeline/stages/{stage}.py" in spec["deps"]


def test_the_cli_adds_no_code_to_a_stage():
    """What `python -m pipeline` imports besides the stage (config, errors) is in every
    stage's own closure: the entry point itself need not be a dep (see the module doc)."""
    entry = import_closure(PACKAGE / "__main__.py") - {PACKAGE / "__main__.py"}
    extra = {_rel(p) for p in entry} - {"pipeline/cli.py"}
    for stage in DVC:
        assert extra <= {_rel(p) for p in _closure(stage)}, stage


def test_a_wrong_dep_list_is_caught():
    """The checks above can fail: a stage that forgets a module or the template it reads,
    lists a folder for one file of it, or lists a params section it reads one key of."""
    deps = [d for d in DVC["topics"]["deps"] if d != "pipeline/topics/assign.py"]
    assert any("topics/assign.py" in p for p in code_dep_problems("topics", deps))
    assert any("pipeline/themes/" in p for p in code_dep_problems("trends", ["pipeline/themes"]))
    template = "pipeline/report/dashboard_template.html"
    deps = [d for d in DVC["dashboard"]["deps"] if d != template]
    assert any(template in p for p in code_dep_problems("dashboard", deps))
    spec = {**DVC["embed"], "params": [{PARAMS_FILE: ["seed", "embed", "engine"]}]}
    assert any("engine is listed whole" in p for p in params_problems("embed", spec))
