"""Command line: thin commands that load the config and call one stage's `run`."""

from __future__ import annotations

import atexit
import importlib
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from pipeline import __version__
from pipeline.config import DEFAULT_PARAMS, Config, load_config
from pipeline.errors import PipelineError

STAGES = ["ingest", "clean", "embed", "topics", "themes", "trends", "dashboard", "compare"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="papertrends: topic modelling and trend analytics for research-paper dumps.",
)

ParamsOpt = Annotated[Path, typer.Option("--params", "-p", help="params file")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="debug logging")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"papertrends {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="show version"),
    ] = None,
) -> None:
    pass


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    # Plotly's image export logs every browser step at INFO.
    for noisy in ("kaleido", "choreographer", "numba", "distributed", "gensim"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _run_stage(name: str, params: Path, verbose: bool, **kwargs) -> None:
    _setup_logging(verbose)
    try:
        cfg: Config = load_config(params)
        # numba reads this when first imported (by UMAP): cache compiled code across runs.
        os.environ.setdefault("NUMBA_CACHE_DIR", str(cfg.paths.cache.resolve() / "numba"))
        t0 = time.perf_counter()
        module = importlib.import_module(f"pipeline.stages.{name}")
        module.run(cfg, **kwargs)
        logging.getLogger("pipeline").info(
            "stage %s done in %.1f s", name, time.perf_counter() - t0
        )
    except PipelineError as e:
        typer.secho(f"error: {e}", err=True, fg=typer.colors.RED)
        raise typer.Exit(e.exit_code) from e


def _make_command(name: str):
    doc = {
        "ingest": "Parse every dump in the seeds folder into outputs/ingest/records.parquet.",
        "clean": "De-duplicate records into one row per paper: outputs/clean/papers.parquet.",
        "embed": "Embed papers (cached by text hash): outputs/embed/.",
        "topics": "Fit BERTopic and the NMF/LDA baselines: outputs/topics/.",
        "themes": "Assign papers to the themes in configs/themes.yaml: outputs/themes/.",
        "trends": "Time series per theme and topic, with trend tests: outputs/trends/.",
        "dashboard": "Write the offline dashboard: outputs/dashboard/index.html.",
    }[name]

    def command(params: ParamsOpt = DEFAULT_PARAMS, verbose: VerboseOpt = False) -> None:
        _run_stage(name, params, verbose)

    command.__doc__ = doc
    command.__name__ = name
    return command


for _name in STAGES:
    if _name not in ("ingest", "compare"):
        app.command(name=_name)(_make_command(_name))


@app.command()
def ingest(
    params: ParamsOpt = DEFAULT_PARAMS,
    verbose: VerboseOpt = False,
    lenient: Annotated[
        bool, typer.Option("--lenient", help="write unparseable entries to rejects.jsonl")
    ] = False,
) -> None:
    """Parse every dump in the seeds folder into outputs/ingest/records.parquet."""
    _run_stage("ingest", params, verbose, lenient=lenient or None)


@app.command()
def compare(
    snapshot_from: Annotated[str | None, typer.Argument(help="earlier snapshot id")] = None,
    snapshot_to: Annotated[str | None, typer.Argument(help="later snapshot id")] = None,
    out: Annotated[
        Path, typer.Option("--out", help="folder for an ad-hoc comparison of two snapshots")
    ] = Path("comparisons"),
    params: ParamsOpt = DEFAULT_PARAMS,
    verbose: VerboseOpt = False,
) -> None:
    """Compare snapshots: each consecutive pair in a series (the DVC stage, outputs/compare/),
    or the two given (an ad-hoc look, written to --out and printed; outputs/ is untouched)."""
    if (snapshot_from is None) != (snapshot_to is None):
        raise typer.BadParameter("give both snapshots, or neither")
    if snapshot_from:
        _run_stage("compare", params, verbose, pair=(snapshot_from, snapshot_to), out=out)
    else:
        _run_stage("compare", params, verbose)


def main() -> None:
    try:
        app()
    except SystemExit as e:  # how click ends every command, success included
        if e.code is None or isinstance(e.code, int):
            _exit_without_teardown(e.code or 0)
        raise


def _exit_without_teardown(code: int) -> NoReturn:
    """End the process as Python would, minus the interpreter's teardown.

    Unloading the ~3,000 modules that torch, numba and BERTopic bring takes about 2 s of a
    stage process on 2 cores, more than some stages' own work, and a weekly `dvc repro` starts
    eight of them (bench/RESULTS.md, "Start-up, second pass"). Exit handlers still run, logs
    and the standard streams are flushed, and every output file is closed before a stage
    returns. Only the console command takes this path: `app` called in-process (tests) does not.
    """
    threading._shutdown()  # what the interpreter does first: lets worker threads finish
    atexit._run_exitfuncs()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
