"""docs/schemas.md says what the code writes: the columns of every table in `io.SCHEMAS`, and
no output file that no stage writes any more.

Doc convention the test reads: a table's columns are the first column of the markdown table
after the line that starts with its file name in backticks (`` `papers.parquet`: ... ``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from dvc_closure import PACKAGE, REPO, import_closure

from pipeline.io import SCHEMAS

DOC = (REPO / "docs" / "schemas.md").read_text(encoding="utf-8")
TABLE_CALLS = {"write_table", "read_table", "read_rows"}
OUTPUT = re.compile(r"[\w.-]+\.(parquet|jsonl|json|csv|npy|md|html|png)")


def table_files() -> dict[str, set[str]]:
    """schema -> the parquet file names the code writes or reads with it."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node, "func", None)
            name = getattr(name, "id", getattr(name, "attr", None))
            if not isinstance(node, ast.Call) or name not in TABLE_CALLS:
                continue
            strings = [
                c.value
                for arg in node.args
                for c in ast.walk(arg)
                if isinstance(c, ast.Constant) and isinstance(c.value, str)
            ]
            files = [s for s in strings if s.endswith(".parquet")]
            for schema in (s for s in strings if s in SCHEMAS):
                found.setdefault(schema, set()).update(files)
    return found


def documented_columns(file: str) -> list[str] | None:
    lines = DOC.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(f"`{file}`")), None)
    if start is None:
        return None
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("|"):
            rows.append(line)
        elif rows or line.startswith("#"):  # the table ended, or the next section began
            break
    first_cells = [row.split("|")[1] for row in rows[2:]]  # after header and separator
    return [name for cell in first_cells for name in re.findall(r"`([^`]+)`", cell)]


def test_every_schema_is_documented_with_its_columns():
    files = table_files()
    assert set(files) == set(SCHEMAS), "a schema no code writes or reads: where is its file?"
    problems = []
    for schema, names in sorted(files.items()):
        for file in sorted(names):
            columns = documented_columns(file)
            if columns is None:
                problems.append(f"{file} ({schema}): not in docs/schemas.md")
                continue
            # `score_<theme>`: one column per theme, beyond the required ones.
            fixed = [c for c in columns if "<" not in c]
            if sorted(fixed) != sorted(SCHEMAS[schema]):
                problems.append(f"{file}: doc {sorted(fixed)} != io {sorted(SCHEMAS[schema])}")
    assert not problems, "\n".join(problems)


def _stage_strings(stage: str) -> set[str]:
    """Every string constant in the stage's import closure (f-string pieces included)."""
    out = set()
    for path in import_closure(PACKAGE / "stages" / f"{stage}.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                out.add(node.value)
    return out


def named_outputs(doc: str) -> dict[str, set[str]]:
    """stage -> output file names its section of the doc mentions (templated ones aside)."""
    sections = re.split(r"(?m)^## (\w+) -> ", doc)[1:]
    out = {}
    for stage, text in zip(sections[::2], sections[1::2], strict=True):
        names = {Path(t).name for t in re.findall(r"`([^`\s]+)`", text)}
        out[stage] = {n for n in names if OUTPUT.fullmatch(n)}
    return out


def stale_names(doc: str) -> list[str]:
    """Files a stage's section names that no string in the stage's code ends with."""
    sections = named_outputs(doc)
    assert set(sections) == {p.stem for p in (PACKAGE / "stages").glob("[!_]*.py")}
    problems = []
    for stage, names in sorted(sections.items()):
        strings = _stage_strings(stage)
        gone = sorted(n for n in names if not any(s.endswith(n) for s in strings))
        problems += [f"{stage}: docs/schemas.md names {n}, no string in its code" for n in gone]
    return problems


def test_the_doc_names_only_files_the_stages_write():
    problems = stale_names(DOC)
    assert not problems, "\n".join(problems)


def test_a_stale_file_name_is_caught():
    """compare once wrote summary.json; trends still does, so only the section tells."""
    heading = "## compare -> `outputs/compare/`\n"
    stale = DOC.replace(heading, heading + "`summary.json`: what compare no longer writes.\n")
    assert stale != DOC
    assert stale_names(stale) == [
        "compare: docs/schemas.md names summary.json, no string in its code"
    ]
