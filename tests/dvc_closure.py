"""What a stage's code imports and which params keys it reads, from the source alone.

DVC re-runs a stage when one of its listed deps or params changes, and it cannot see imports.
tests/test_dvc_deps.py compares what these helpers find with dvc.yaml:

- `import_closure`: every `pipeline` module `pipeline/stages/<stage>.py` can import (imports
  inside functions too; `from pipeline import x` is module pipeline/x.py or package
  pipeline/x/), with the package `__init__.py` files on the way.
- `package_data`: the non-Python files under pipeline/ (a template) that the closure names.
- `params_read`: (section, key) pairs the closure reads from the config, key None for a
  whole section. A `cfg.<section>` passed to a function of the closure whose parameter is
  annotated with that section's class counts the keys that function reads (transitively);
  anything the analysis cannot follow (stored, aliased, passed elsewhere) counts as the whole
  section, so it errs towards listing more, never less.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from pipeline.config import Config

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "pipeline"

# Config methods that read a key: cfg.stage_dir(name) is paths.outputs / name.
METHOD_READS = {"stage_dir": ("paths", "outputs")}


def is_build_dropping(path: Path) -> bool:
    return "__pycache__" in path.parts or path.suffix in {".pyc", ".pyo"}


def module_file(name: str) -> Path | None:
    """pipeline.a.b -> pipeline/a/b.py or pipeline/a/b/__init__.py; None if neither exists."""
    base = REPO.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """`pipeline` modules the file imports anywhere in it."""
    own = module_name(path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "pipeline"}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: `from . import x`, `from ..y import z`
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if base.split(".")[0] == "pipeline":
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    found.add(sub if module_file(sub) else base)
    return found


@functools.cache
def import_closure(entry: Path) -> frozenset[Path]:
    todo, seen = [module_name(entry)], set()
    while todo:
        parts = todo.pop().split(".")
        for name in (".".join(parts[:i]) for i in range(1, len(parts) + 1)):  # parents first
            if name not in seen:
                seen.add(name)
                path = module_file(name)
                assert path is not None, f"{name} is imported but does not exist"
                todo.extend(_imports(path))
    return frozenset(module_file(name) for name in seen)


def package_data(closure: frozenset[Path]) -> set[Path]:
    """Non-Python files under pipeline/ whose file name the closure's code spells out."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in closure)
    files = [p for p in PACKAGE.rglob("*") if p.is_file() and p.suffix != ".py"]
    return {
        p
        for p in files
        if not is_build_dropping(p) and re.search(rf"[\"']{re.escape(p.name)}[\"']", text)
    }


# ----- params -----------------------------------------------------------------------------


def section_fields(section: str) -> set[str]:
    """The keys of a top-level section; empty for a plain value such as `seed`."""
    annotation = Config.model_fields[section].annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return set(annotation.model_fields)
    return set()


SECTION_OF_CLASS = {
    f.annotation.__name__: name
    for name, f in Config.model_fields.items()
    if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel)
}


@dataclass
class Module:
    tree: ast.Module
    parents: dict[ast.AST, ast.AST] = field(default_factory=dict)
    defs: dict[str, ast.FunctionDef] = field(default_factory=dict)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (module, attr)
    modules: dict[str, str] = field(default_factory=dict)  # alias -> module


@functools.cache
def _module(path: Path) -> Module:
    mod = Module(ast.parse(path.read_text(encoding="utf-8")))
    for node in ast.walk(mod.tree):
        for child in ast.iter_child_nodes(node):
            mod.parents[child] = node
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pipeline"):
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                if module_file(sub):
                    mod.modules[a.asname or a.name] = sub
                else:
                    mod.names[a.asname or a.name] = (node.module, a.name)
        elif isinstance(node, ast.Import):
            mod.modules |= {a.asname: a.name for a in node.names if a.asname}
    mod.defs = {n.name: n for n in mod.tree.body if isinstance(n, ast.FunctionDef)}
    return mod


def _callee(path: Path, call: ast.Call) -> tuple[Path, ast.FunctionDef] | None:
    """The pipeline function a call runs, when the source says which."""
    mod, func = _module(path), call.func
    target = None
    if isinstance(func, ast.Name) and func.id in mod.defs:
        return path, mod.defs[func.id]
    if isinstance(func, ast.Name) and func.id in mod.names:
        target = mod.names[func.id]
    elif isinstance(func, ast.Attribute) and ast.unparse(func.value) in mod.modules:
        target = (mod.modules[ast.unparse(func.value)], func.attr)
    where = module_file(target[0]) if target else None
    if where is None or target[1] not in _module(where).defs:
        return None
    return where, _module(where).defs[target[1]]


def _parameter(func: ast.FunctionDef, call: ast.Call, arg: ast.AST) -> ast.arg | None:
    positional = [*func.args.posonlyargs, *func.args.args]
    if arg in call.args:
        i = call.args.index(arg)
        starred = any(isinstance(a, ast.Starred) for a in call.args[: i + 1])
        return None if starred or i >= len(positional) else positional[i]
    by_name = {a.arg: a for a in [*positional, *func.args.kwonlyargs]}
    return next((by_name.get(k.arg) for k in call.keywords if k.value is arg), None)


def _use(path: Path, node: ast.AST, section: str) -> set[tuple[str, str | None]]:
    """What the expression `node`, holding config section `section`, reads of it."""
    parents, keys = _module(path).parents, section_fields(section)
    parent = parents.get(node)
    if isinstance(parent, ast.Attribute) and parent.value is node and parent.attr in keys:
        return {(section, parent.attr)}
    call = parents.get(parent) if isinstance(parent, ast.keyword) else parent
    if keys and isinstance(call, ast.Call) and node is not call.func:
        callee = _callee(path, call)
        param = callee and _parameter(callee[1], call, node)
        if param and section in {SECTION_OF_CLASS.get(n) for n in _annotation(param)}:
            return _reads_of_parameter(callee[0], callee[1], param.arg, section)
    return {(section, None)}


_READS: dict[tuple, frozenset] = {}


def _reads_of_parameter(path: Path, func: ast.FunctionDef, param: str, section: str):
    key = (path, func, param, section)
    if key not in _READS:
        _READS[key] = frozenset()  # a recursive call adds nothing new
        names = [
            n
            for n in ast.walk(func)
            if isinstance(n, ast.Name) and n.id == param and isinstance(n.ctx, ast.Load)
        ]
        _READS[key] = frozenset(set().union(*(_use(path, n, section) for n in names)))
    return _READS[key]


def _annotation(arg: ast.arg) -> set[str]:
    """Class names in a parameter's annotation (`Config | None` -> {"Config", "None"})."""
    text = ast.unparse(arg.annotation) if arg.annotation else ""
    return set(re.findall(r"[A-Za-z_]\w*", text))


def _config_roots(tree: ast.Module) -> list[ast.AST]:
    """Expressions holding the whole Config: parameters annotated `Config`, unannotated
    parameters named `cfg`, and `self.cfg`."""
    roots: list[ast.AST] = []
    for func in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        args = [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]
        ids = {
            a.arg
            for a in args
            if "Config" in _annotation(a) or (a.annotation is None and a.arg == "cfg")
        }
        roots += [n for n in ast.walk(func) if isinstance(n, ast.Name) and n.id in ids]
    cfg_attrs = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "cfg"]
    return roots + [n for n in cfg_attrs if ast.unparse(n.value) == "self"]


def params_read(closure: frozenset[Path]) -> set[tuple[str, str | None]]:
    reads: set[tuple[str, str | None]] = set()
    for path in sorted(closure):
        parents = _module(path).parents
        for root in _config_roots(_module(path).tree):
            parent = parents.get(root)
            if not isinstance(parent, ast.Attribute) or parent.value is not root:
                continue  # the whole config passed on: its reader is in the closure too
            if parent.attr in Config.model_fields:
                reads |= _use(path, parent, parent.attr)
            elif parent.attr in METHOD_READS:
                reads.add(METHOD_READS[parent.attr])
            elif parent.attr.startswith("model_"):  # model_dump & co: everything
                reads |= {(section, None) for section in Config.model_fields}
    return reads
