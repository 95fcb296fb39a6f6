"""Deliberate BLAS threading for the estimators.

The estimators' linear algebra is on tall, skinny arrays: per-cell sums over
~35,000 units, ``n × k`` influence-function products with ``k`` below a few
hundred, bootstrap multipliers applied in chunks of 128 draws. On such shapes
multi-threaded OpenBLAS gains little on an idle machine (about 1.5× on the
bootstrap product with 2 cores) and loses a lot on a busy one: its worker
threads spin-wait and are scheduled behind other processes, so a call can
take 5–15× longer with one competing process on 2 cores (measured with
``benchmarks/bench_att_gt.py``). Running these blocks single-threaded makes
their time predictable; parallelism, where wanted, belongs one level up
(independent estimations, report grids).

:func:`single_threaded_blas` limits the BLAS pools for a block through
``threadpoolctl`` (the library scikit-learn uses for the same purpose). The
controller is built once, on first use, since listing the loaded libraries
costs about a millisecond while switching limits costs microseconds.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from threadpoolctl import ThreadpoolController

_controller: ThreadpoolController | None = None


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the enclosed block with every loaded BLAS library limited to one thread."""
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    with _controller.limit(limits=1, user_api="blas"):
        yield
