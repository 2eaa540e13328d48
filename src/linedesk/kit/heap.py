"""The heap of a long-running process. Once start-up is done, what it built (modules, routes,
mappers, compiled templates) lives as long as the process; frozen, the garbage collector
stops scanning it, so a full collection walks only the objects of the work in hand. Without
it a full collection of the started app paused a request for ~75 ms, once every few dozen
requests (bench/spending.py's p99)."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import configure_mappers


@contextmanager
def frozen_startup_heap() -> Iterator[None]:
    """Freeze what exists now for the life of the block (the app's lifespan), then give it
    back to the collector. SQLAlchemy's mappers are configured first (else the first query
    does it, after the freeze)."""
    configure_mappers()
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
