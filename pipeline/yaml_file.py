"""Reading a YAML file of the project's (params, snapshots, themes) with errors that name it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError


def read_yaml(path: str | Path, what: str) -> Any:
    """The parsed file (`{}` when it is empty); a missing file or bad YAML is a ConfigError
    that names the file (`what` says which: "params file", "themes file", ...)."""
    import yaml

    path = Path(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: {what} not found") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from e
