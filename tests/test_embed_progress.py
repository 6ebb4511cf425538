"""The shared progress helper: bars only on a terminal, or when forced by the environment."""

from __future__ import annotations

import io
import sys

from pipeline.progress import ENV_VAR, progress, progress_enabled


def test_quiet_when_stderr_is_not_a_terminal(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not progress_enabled(True)
    assert list(progress(range(3), desc="x")) == [0, 1, 2]
    with progress(total=5) as bar:
        bar.update(5)
    assert sys.stderr.getvalue() == ""


def test_environment_forces_bars_on_or_off(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.setenv(ENV_VAR, "1")
    assert progress_enabled(True) and not progress_enabled(False)
    list(progress(range(3), desc="forced"))
    assert "forced" in sys.stderr.getvalue()
    monkeypatch.setenv(ENV_VAR, "0")
    assert not progress_enabled(True)
