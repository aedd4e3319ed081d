"""Send the same request from many threads at once, each with its own client, as parallel
browsers would; on PostgreSQL this is what shows races."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_in_parallel(count: int, request: Callable[[int], object]) -> list:
    """Call request(i) for i in range(count), all released together; returns the results in order.
    An exception in a thread is returned in its place, so the test can assert on it."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def one(i: int) -> None:
        barrier.wait()
        try:
            results[i] = request(i)
        except Exception as error:  # handed back to the test, which fails on it
            results[i] = error

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
