"""Logging configuration for the command line and notebooks.

The library only *emits* records through :mod:`logging`; it never configures
handlers on import. The CLI and the notebooks call :func:`configure`.
"""

from __future__ import annotations

import logging
import sys


class _CurrentStderrHandler(logging.StreamHandler):
    """A handler writing to whatever ``sys.stderr`` is at the time of each record.

    A plain ``StreamHandler()`` keeps the stream it was created with: once a test
    runner (typer's ``CliRunner``) or a notebook kernel has replaced and closed that
    stream, every later record fails with "--- Logging error ---".
    """

    @property
    def stream(self):  # noqa: D401 - the current standard error
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:  # StreamHandler.__init__ assigns it
        pass


def configure(verbosity: int = 0) -> None:
    """Send ``impact`` log records to stderr.

    Parameters
    ----------
    verbosity
        0 for warnings and progress messages (INFO), 1 or more for DEBUG,
        -1 for warnings only.

    Examples
    --------
    Calling it again changes the level without adding a second handler:

    >>> import logging
    >>> logger = logging.getLogger("impact")
    >>> saved = logger.level, list(logger.handlers)
    >>> configure(1)
    >>> configure(-1)
    >>> ours = [h for h in logger.handlers if getattr(h, "_impact", False)]
    >>> logging.getLevelName(logger.level), len(ours)
    ('WARNING', 1)
    >>> logger.setLevel(saved[0]); logger.handlers[:] = saved[1]  # as it was
    """
    level = logging.INFO if verbosity == 0 else logging.DEBUG if verbosity > 0 else logging.WARNING
    logger = logging.getLogger("impact")
    logger.setLevel(level)
    if not any(getattr(h, "_impact", False) for h in logger.handlers):
        handler = _CurrentStderrHandler()
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
        )
        handler._impact = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
