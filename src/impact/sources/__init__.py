"""Readers for the public files researchers get, one module per source.

Each module exposes ``read(path) -> pandas.DataFrame`` on a local file, returning
the canonical long format (see :mod:`impact.panel`), and, where the file is
public, ``fetch()`` that downloads it into a checksummed cache.

Import the module you need, e.g. ``from impact.sources import sirene``.
"""
