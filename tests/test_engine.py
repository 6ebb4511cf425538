import pytest

from pipeline.config import Engine
from pipeline.engine import DaskEngine, LocalEngine, chunked, open_engine


def _square_sum(chunk, offset):
    return [x * x + offset for x in chunk]


def test_chunked_covers_everything_in_order():
    items = list(range(10))
    chunks = chunked(items, 3)
    assert [len(c) for c in chunks] == [3, 3, 3, 1]
    assert [x for c in chunks for x in c] == items


def test_local_engine_maps_in_order():
    with open_engine(Engine(kind="local")) as eng:
        out = list(eng.map_ordered(_square_sum, chunked(list(range(7)), 2), 1))
    assert out == [[1, 2], [5, 10], [17, 26], [37]]


@pytest.mark.slow
def test_dask_local_cluster_gives_same_results_as_local():
    chunks = chunked(list(range(50)), 7)
    with open_engine(Engine(kind="local")) as eng:
        local = list(eng.map_ordered(_square_sum, chunks, 3))
    with open_engine(Engine(kind="dask", n_workers=2)) as eng:
        dask = list(eng.map_ordered(_square_sum, chunks, 3))
    assert dask == local


def _scaled(chunk, table):
    return [x * table["factor"] for x in chunk]


def test_local_engine_shares_the_object_itself():
    obj = {"factor": 3}
    assert LocalEngine().share(obj) is obj


@pytest.mark.slow
def test_dask_keeps_order_with_few_tasks_in_flight_and_shares_arguments():
    from dask.distributed import Client, LocalCluster

    chunks = chunked(list(range(100)), 3)  # 34 tasks, at most 2 submitted at a time
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        eng = DaskEngine(client, max_in_flight=2)
        table = eng.share({"factor": 3})
        out = [x for part in eng.map_ordered(_scaled, chunks, table) for x in part]
    assert out == [3 * x for x in range(100)]
