"""Progress bars for long work that stay quiet when nobody is watching.

A bar is drawn only when asked for *and* stderr is a terminal: under `dvc repro`, CI or a
redirected log, carriage-return bars would only litter the output. `PAPERTRENDS_PROGRESS=1`
forces bars on (e.g. inside a pager), `=0` forces them off.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any

ENV_VAR = "PAPERTRENDS_PROGRESS"


def progress_enabled(requested: bool = True) -> bool:
    """Whether a bar should be drawn: the caller asked, and the env or the terminal allow it."""
    forced = os.environ.get(ENV_VAR, "").strip().lower()
    if forced in {"0", "false", "no", "off"}:
        return False
    if forced in {"1", "true", "yes", "on"}:
        return requested
    return requested and sys.stderr.isatty()


def progress(
    iterable: Iterable[Any] | None = None,
    *,
    total: int | None = None,
    desc: str = "",
    unit: str = "it",
    enabled: bool = True,
) -> Any:
    """A tqdm bar (or a silent stand-in with the same `update`/`close` API) over `iterable`.

    Use it as an iterator wrapper, or as a context manager and call `update(n)`.
    """
    from tqdm import tqdm

    return tqdm(
        iterable,
        total=total,
        desc=desc,
        unit=unit,
        disable=not progress_enabled(enabled),
        file=sys.stderr,
        dynamic_ncols=True,
        mininterval=0.5,
        smoothing=0.1,
    )
