"""Cached downloads of the public source files, with :mod:`pooch`.

pooch downloads to a temporary file and moves it into the cache only when
complete and (if a checksum is known) verified, so the cache never holds a
half-written or corrupt file. A second call finds the file in the cache and
does not touch the network.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
from pathlib import Path

from impact.errors import ImpactError
from impact.sources.registry import Source, get

logger = logging.getLogger(__name__)

MIRROR_ENV = "IMPACT_MIRROR_URL"


class DownloadError(ImpactError):
    """A download failed (network, HTTP error or checksum mismatch)."""


def _url(src: Source, base_url: str | None) -> str:
    base = base_url or os.environ.get(MIRROR_ENV)
    if base:
        return base.rstrip("/") + "/" + src.filename
    return src.url


def fetch(
    name: str,
    *,
    cache_dir: str | Path | None = None,
    base_url: str | None = None,
    known_hash: str | None = None,
    progressbar: bool = True,
) -> Path:
    """Download the registered source ``name`` into the cache (once) and return its path.

    Parameters
    ----------
    name
        A key of :data:`impact.sources.registry.SOURCES` (``impact fetch --help``).
    cache_dir
        Cache folder; default :func:`impact.config.cache_dir` (``$IMPACT_CACHE_DIR``).
    base_url
        Fetch ``<base_url>/<filename>`` instead of the official URL (mirror);
        default ``$IMPACT_MIRROR_URL``.
    known_hash
        SHA-256 to verify (overrides the registered one). When neither is known
        the file is accepted with a warning.
    progressbar
        Show a tqdm progress bar.

    Returns
    -------
    pathlib.Path
        The cached file. ``<file>.provenance.json`` next to it records URL,
        date, size and SHA-256 of what was downloaded.

    Raises
    ------
    DownloadError
        HTTP error (e.g. 404), network failure or checksum mismatch; nothing is
        left in the cache.
    """
    import pooch
    import requests

    from impact._io import atomic_path, sha256
    from impact.config import cache_dir as default_cache

    src = get(name)
    folder = Path(cache_dir) if cache_dir is not None else default_cache()
    folder.mkdir(parents=True, exist_ok=True)
    url = _url(src, base_url)
    expected = known_hash or src.sha256
    target = folder / src.filename
    if expected is None and not target.exists():
        logger.warning("%s: no checksum registered (the official file changes with each "
                       "release); accepting the download as is and recording its SHA-256", name)
    try:
        path = pooch.retrieve(
            url,
            known_hash=f"sha256:{expected}" if expected else None,
            fname=src.filename,
            path=folder,
            progressbar=progressbar,
        )
    except ValueError as exc:  # pooch: hash mismatch (the temp file is already removed)
        raise DownloadError(f"{name}: checksum mismatch for {url}: {exc}") from exc
    except requests.exceptions.HTTPError as exc:
        status = getattr(exc.response, "status_code", "?")
        raise DownloadError(f"{name}: the server answered HTTP {status} for {url}") from exc
    except (requests.exceptions.RequestException, OSError) as exc:
        raise DownloadError(f"{name}: download of {url} failed: {exc}") from exc
    path = Path(path)
    sidecar = path.with_name(path.name + ".provenance.json")
    if not sidecar.exists():
        info = {"source": name, "url": url, "licence": src.licence,
                "downloaded": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
                "bytes": path.stat().st_size, "sha256": sha256(path),
                "sha256_verified": bool(expected)}
        with atomic_path(sidecar, suffix=".json") as tmp:
            tmp.write_text(json.dumps(info, indent=1))
        logger.info("%s: downloaded to %s (sha256 %s)", name, path, info["sha256"])
    return path
