"""Where embarrassingly parallel work runs: in this process, or on a Dask cluster.

`engine.kind: local` (the default) needs no Dask at all. `engine.kind: dask` connects to
`engine.address` (a running `dask scheduler`), or starts a `LocalCluster` on this machine when
no address is given. Stages only call `map_ordered`, so both engines give the same outputs in
the same order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from pipeline.config import Engine

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")


def chunked(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class LocalEngine:
    name = "local"

    def map_ordered(self, fn: Callable[..., R], chunks: Iterable[Any], *args: Any) -> Iterator[R]:
        for chunk in chunks:
            yield fn(chunk, *args)


class DaskEngine:
    name = "dask"

    def __init__(self, client: Any):
        self.client = client

    def map_ordered(self, fn: Callable[..., R], chunks: Iterable[Any], *args: Any) -> Iterator[R]:
        from dask.distributed import as_completed

        futures = [self.client.submit(fn, chunk, *args, pure=False) for chunk in chunks]
        # Results are yielded in submission order, but gathered as they finish so a slow
        # early task does not hold finished results in worker memory longer than needed.
        done: dict[int, R] = {}
        order = {f.key: i for i, f in enumerate(futures)}
        next_i = 0
        for fut in as_completed(futures):
            done[order[fut.key]] = fut.result()
            fut.release()
            while next_i in done:
                yield done.pop(next_i)
                next_i += 1


@contextmanager
def open_engine(cfg: Engine) -> Iterator[LocalEngine | DaskEngine]:
    if cfg.kind == "local":
        yield LocalEngine()
        return
    from dask.distributed import Client, LocalCluster

    if cfg.address:
        log.info("dask: connecting to scheduler at %s", cfg.address)
        with Client(cfg.address) as client:
            yield DaskEngine(client)
        return
    log.info("dask: LocalCluster with %d worker(s)", cfg.n_workers)
    with (
        LocalCluster(
            n_workers=cfg.n_workers,
            threads_per_worker=cfg.threads_per_worker,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield DaskEngine(client)
