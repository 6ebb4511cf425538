"""BERTopic's own logger, silenced around steps the pipeline takes on purpose.

A module of its own because both the fit (`fit`) and the chunked assignment (`assign`, which
`fit` imports) need it: in either of them it would make the other import back up the chain.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet_bertopic() -> Iterator[None]:
    """Silence BERTopic's warnings for steps we take on purpose (it logs, not warns)."""
    logger = logging.getLogger("BERTopic")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
