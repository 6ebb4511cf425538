"""configs/themes.yaml: the named themes. `load_themes` is the one reader of that file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.yaml_file import read_yaml

NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Theme:
    name: str
    label: str
    description: str
    phrases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    threshold: float | None = None
    patterns: tuple[re.Pattern, ...] = field(default=(), compare=False, repr=False)

    @property
    def prompts(self) -> list[str]:
        return [self.description, *self.phrases]


def load_themes(path: str | Path) -> list[Theme]:
    """Read and check configs/themes.yaml; every problem is reported with the theme's name."""
    path = Path(path)
    raw = read_yaml(path, "themes file")
    entries = raw.get("themes") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: expected a non-empty list under `themes:`")
    themes, errors = [], []
    allowed = {"name", "label", "description", "phrases", "keywords", "threshold"}
    for i, e in enumerate(entries):
        where = f"themes[{i}]"
        if not isinstance(e, dict):
            errors.append(f"{where}: expected a mapping")
            continue
        name = str(e.get("name", ""))
        where = f"theme '{name}'" if name else where
        if not NAME.match(name):
            errors.append(f"{where}: `name` must be snake_case (a-z, 0-9, _)")
        if not str(e.get("description", "")).strip():
            errors.append(f"{where}: `description` is required")
        if unknown := set(e) - allowed:
            errors.append(f"{where}: unknown keys {sorted(unknown)}")
        thr = e.get("threshold")
        if thr is not None and not (isinstance(thr, int | float) and 0 < thr < 1):
            errors.append(f"{where}: `threshold` must be a number between 0 and 1")
        patterns = []
        for kw in e.get("keywords") or []:
            try:
                patterns.append(re.compile(str(kw), re.IGNORECASE))
            except re.error as err:
                errors.append(f"{where}: keyword {kw!r} is not a valid regex: {err}")
        themes.append(
            Theme(
                name=name,
                label=str(e.get("label") or name.replace("_", " ").capitalize()),
                description=" ".join(str(e.get("description", "")).split()),
                phrases=tuple(str(p) for p in e.get("phrases") or []),
                keywords=tuple(str(k) for k in e.get("keywords") or []),
                threshold=None if thr is None else float(thr),
                patterns=tuple(patterns),
            )
        )
    names = [t.name for t in themes]
    if dupes := sorted({n for n in names if names.count(n) > 1}):
        errors.append(f"duplicate theme names {dupes}")
    if errors:
        raise ConfigError(f"{path}: " + "; ".join(errors))
    return themes


def theme_labels(path: str | Path, paper_themes=None) -> dict[str, str]:
    """Theme name -> readable label, in themes.yaml order. Names met only in `paper_themes`
    (a table written before a theme was renamed) map to themselves, so it still draws."""
    labels = {t.name: t.label for t in load_themes(path)}
    if paper_themes is not None:
        names = [c.removeprefix("score_") for c in paper_themes.columns if c.startswith("score_")]
        for n in names + sorted({t for ts in paper_themes["themes"] for t in ts}):
            labels.setdefault(n, n)
    return labels
