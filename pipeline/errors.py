"""The few error types the pipeline raises; only the CLI turns them into exit codes."""

from __future__ import annotations

from pathlib import Path


class PipelineError(Exception):
    """Base class: a problem the user can fix, with a message that says how."""

    exit_code = 1


class ConfigError(PipelineError):
    exit_code = 2


class InputDataError(PipelineError):
    """A dump that cannot be read as any known layout, pointing at the file and line."""

    exit_code = 3

    def __init__(self, path: str | Path, line: int | None, problem: str, expected: str = ""):
        self.path = str(path)
        self.line = line
        self.problem = problem
        self.expected = expected
        where = f"{self.path}:{line}" if line is not None else self.path
        msg = f"{where}: {problem}"
        if expected:
            msg += f" (expected {expected})"
        super().__init__(msg)

    def __reduce__(self):
        # Exceptions pickle as cls(*args), and args holds only the message: rebuild from the
        # fields instead, so the error survives the trip back from a Dask worker.
        return type(self), (self.path, self.line, self.problem, self.expected), self.__dict__


class StageInputError(PipelineError):
    """An upstream table is missing or has the wrong shape: run the earlier stage first."""

    exit_code = 4
