"""Helpers of the bad-input corpus (a module name of its own: ``conftest`` is ambiguous when
several test folders are collected together)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from impact.errors import ImpactError


def tree(folder: Path) -> dict[str, str]:
    """Every entry below ``folder`` (hidden ones included) with a digest of its content."""
    out: dict[str, str] = {}
    if not folder.exists():
        return out
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        out[rel] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
    return out


def expect_error(call: Callable[[], object], etype: type[ImpactError], *fragments: str,
                 folder: Path | None = None) -> ImpactError:
    """Run ``call``; it must raise ``etype`` whose message holds every fragment, writing nothing."""
    assert issubclass(etype, ImpactError)
    before = tree(folder) if folder is not None else None
    with pytest.raises(etype) as info:
        call()
    msg = str(info.value)
    for f in fragments:
        assert f in msg, f"{f!r} not in the message {msg!r}"
    if folder is not None:
        assert tree(folder) == before, "the failed call wrote or replaced something"
    return info.value
