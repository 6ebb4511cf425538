import pytest

from pipeline.config import Engine
from pipeline.engine import chunked, open_engine


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
