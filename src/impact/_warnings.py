"""Warnings that point at the user's line, not at the library's.

Public functions are wrapped (option checks, single-threaded BLAS through a
:class:`contextlib.ContextDecorator`) and warn from private helpers, so a fixed
``stacklevel`` points inside the library or at ``contextlib.py``: a notebook
reader then sees ``contextlib.py:81: UserWarning`` instead of their own cell.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings

# Frames skipped when looking for the caller: this package, and contextlib's decorator frame.
_SKIPPED = (os.path.dirname(__file__) + os.sep, contextlib.__file__)


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """:func:`warnings.warn` attributed to the first frame outside :mod:`impact`.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn("a message for the caller")
    >>> caught[0].filename.startswith("<doctest"), str(caught[0].message)
    (True, 'a message for the caller')
    """
    frame = sys._getframe(1)  # the library function that warns
    level = 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_SKIPPED):
        frame = frame.f_back
        level += 1
    # warnings.warn counts from this function: stacklevel 2 is our caller (level 1).
    warnings.warn(message, category, stacklevel=level + 1)
