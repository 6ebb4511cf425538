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

    def share(self, obj: T) -> T:
        """An argument every task needs: here it is simply the object."""
        return obj


class DaskEngine:
    name = "dask"

    def __init__(self, client: Any, max_in_flight: int | None = None):
        self.client = client
        # Tasks carry their chunk of data: submitting all of them at once would put a copy of
        # the whole corpus on the scheduler. Two per worker thread keeps every thread busy.
        threads = sum(client.nthreads().values()) or 1
        self.max_in_flight = max_in_flight or 2 * threads

    def map_ordered(self, fn: Callable[..., R], chunks: Iterable[Any], *args: Any) -> Iterator[R]:
        from dask.distributed import as_completed

        todo = enumerate(chunks)
        running = as_completed()
        position: dict[str, int] = {}

        def submit_next() -> None:
            for i, chunk in todo:
                fut = self.client.submit(fn, chunk, *args, pure=False)
                position[fut.key] = i
                running.add(fut)
                return

        for _ in range(self.max_in_flight):
            submit_next()
        # Results are yielded in submission order, but gathered as they finish so a slow
        # early task does not hold finished results in worker memory longer than needed.
        done: dict[int, R] = {}
        next_i = 0
        for fut in running:
            done[position.pop(fut.key)] = fut.result()
            fut.release()
            submit_next()
            while next_i in done:
                yield done.pop(next_i)
                next_i += 1

    def share(self, obj: Any) -> Any:
        """Send an argument every task needs to each worker once; tasks get a reference."""
        return self.client.scatter(obj, broadcast=True, hash=False)


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
