"""Cached downloads of the public source files, with :mod:`pooch`.

pooch downloads to a temporary file and moves it into the cache only when
complete and (if a checksum is known) verified, so the cache never holds a
half-written or corrupt file. A second call finds the file in the cache and
does not touch the network.

INSEE Melodi files (sources with ``melodi_dataset``) are fetched differently:

* the product (vintage) is looked up in the catalogue
  ``{api}/catalog/{DATASET}`` (JSON, ``product[].accessURL``): the newest CSV
  product wins, so a new vintage is fetched as soon as INSEE publishes it; when
  the catalogue cannot be reached the newest cached product, else the
  registered one, is used (logged);
* the ZIP is downloaded with HTTP ``Range`` requests into a hidden
  ``.<file>.part`` next to the target: an interrupted download (network
  failure, server closing early) is resumed from where it stopped, within the
  same call (``retries``) or by the next ``impact fetch``;
* only a complete file (size announced by the server, readable ZIP central
  directory, SHA-256 matching when one is known) is renamed into the cache,
  and its ``.provenance.json`` records data set, product, URL, size, SHA-256
  and the offsets a download was resumed from.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import re
import time
import zipfile
from pathlib import Path
from typing import Any

from impact.errors import ImpactError
from impact.sources.registry import Source, get

logger = logging.getLogger(__name__)

MIRROR_ENV = "IMPACT_MIRROR_URL"
MELODI_ENV = "IMPACT_MELODI_API"
_CHUNK = 1 << 16


class DownloadError(ImpactError):
    """A download failed (network, HTTP error or checksum mismatch).

    Examples
    --------
    >>> issubclass(DownloadError, impact.errors.ImpactError)
    True
    """


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
    product: str | None = None,
    api_url: str | None = None,
    retries: int = 3,
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
    product
        Melodi sources only: the product (vintage) to fetch, e.g.
        ``DS_SIDE_CREA_ENT_COM_2024_CSV_FR``; default the newest in the catalogue.
    api_url
        Melodi sources only: base URL of the service (catalogue and files);
        default ``$IMPACT_MELODI_API`` or ``https://api.insee.fr/melodi``. With a
        mirror (``base_url``) the catalogue is not consulted and
        ``<base_url>/<product>.zip`` is fetched.
    retries
        Melodi sources only: how many times an interrupted download is resumed
        within this call before giving up (the partial file is kept for the
        next call).

    Returns
    -------
    pathlib.Path
        The cached file. ``<file>.provenance.json`` next to it records URL,
        date, size and SHA-256 of what was downloaded (for Melodi sources also
        data set, product, catalogue answer and the offsets a download was
        resumed from). A Melodi file is named ``<product>.zip``.

    Raises
    ------
    DownloadError
        HTTP error (e.g. 404), network failure or checksum mismatch; nothing is
        left in the cache.

    Examples
    --------
    A file already in the cache is returned without any download:

    >>> import tempfile
    >>> from pathlib import Path
    >>> cache = Path(tempfile.mkdtemp())
    >>> _ = (cache / "chomage-zone-t1-2003-t2-2025.xlsx").write_bytes(b"...")
    >>> fetch("unemployment", cache_dir=cache, progressbar=False).name
    'chomage-zone-t1-2003-t2-2025.xlsx'
    """
    import pooch
    import requests

    from impact._io import atomic_path, sha256
    from impact.config import cache_dir as default_cache

    src = get(name)
    folder = Path(cache_dir) if cache_dir is not None else default_cache()
    folder.mkdir(parents=True, exist_ok=True)
    if src.melodi_dataset:
        return _fetch_melodi(src, folder, base_url=base_url, known_hash=known_hash,
                             progressbar=progressbar, product=product, api_url=api_url,
                             retries=retries)
    if product is not None:
        raise DownloadError(f"{name}: product= is only for Melodi sources")
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


# --------------------------------------------------------------------------- #
# INSEE Melodi: catalogue look-up and resumable download
# --------------------------------------------------------------------------- #

def _melodi_api(api_url: str | None) -> str:
    from impact.sources.registry import MELODI_API

    return (api_url or os.environ.get(MELODI_ENV) or MELODI_API).rstrip("/")


def _product_vintage(product_id: str) -> int:
    m = re.findall(r"_((?:19|20)\d{2})(?=_|$)", product_id)
    return int(m[-1]) if m else 0


def latest_product(dataset: str, *, api_url: str | None = None, timeout: float = 30
                   ) -> dict[str, Any]:
    """The newest CSV product of a Melodi data set, from its catalogue entry.

    Parameters
    ----------
    dataset
        Melodi identifier, e.g. ``DS_SIDE_CREA_ENT_COM``.
    api_url
        Service base URL (default ``$IMPACT_MELODI_API`` or the INSEE one).

    Returns
    -------
    dict
        ``id`` (product identifier), ``url`` (its ``accessURL``), ``bytes``
        (``byteSize`` or ``None``), ``modified``, ``catalog_url`` and
        ``geography`` (the data set's ``spatialTemporal``: date of the
        geography its codes are in, e.g. ``2024-01-01``, or ``None``). The newest
        product is the one with the latest year in its identifier, then the
        latest ``modified``/``issued`` date.

    Raises
    ------
    DownloadError
        The catalogue cannot be reached, answers an HTTP error, or lists no CSV
        product of this data set.

    Examples
    --------
    When the catalogue cannot be reached, the error says where it looked:

    >>> closed_port = "http://127.0.0.1:9"
    >>> latest_product("DS_SIDE_CREA_ENT_COM", api_url=closed_port, timeout=2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    impact.sources.fetch.DownloadError: DS_SIDE_CREA_ENT_COM: catalogue look-up at http://127.0.0.1:9/...
    """
    import requests

    url = f"{_melodi_api(api_url)}/catalog/{dataset}"
    try:
        resp = requests.get(url, timeout=timeout, headers={"Accept": "application/json"})
        resp.raise_for_status()
        entry = resp.json()
    except requests.exceptions.HTTPError as exc:
        status = getattr(exc.response, "status_code", "?")
        raise DownloadError(f"{dataset}: the catalogue answered HTTP {status} for {url}") from exc
    except (requests.exceptions.RequestException, ValueError) as exc:
        raise DownloadError(f"{dataset}: catalogue look-up at {url} failed: {exc}") from exc
    if isinstance(entry, list):  # the 'all' catalogue form: a list of data sets
        entry = next((e for e in entry if isinstance(e, dict)
                      and e.get("identifier") == dataset), {})
    products = entry.get("product", []) if isinstance(entry, dict) else []
    found = []
    for p in products if isinstance(products, list) else []:
        if not isinstance(p, dict) or not p.get("accessURL"):
            continue
        fmt = str(p.get("format", "CSV")).upper()
        if fmt != "CSV" or f"/file/{dataset}/" not in p["accessURL"]:
            continue
        pid = str(p.get("id") or p["accessURL"].rstrip("/").rsplit("/", 1)[-1])
        found.append({"id": pid, "url": p["accessURL"], "bytes": p.get("byteSize"),
                      "modified": str(p.get("modified") or p.get("issued") or ""),
                      "catalog_url": url, "geography": entry.get("spatialTemporal")})
    if not found:
        raise DownloadError(f"{dataset}: the catalogue at {url} lists no CSV product "
                            f"(products: {[p.get('id') for p in products if isinstance(p, dict)]})")
    return max(found, key=lambda p: (_product_vintage(p["id"]), p["modified"]))


def _fetch_melodi(src, folder: Path, *, base_url: str | None, known_hash: str | None,
                  progressbar: bool, product: str | None, api_url: str | None,
                  retries: int) -> Path:
    dataset = src.melodi_dataset
    mirror = base_url or os.environ.get(MIRROR_ENV)
    api = _melodi_api(api_url)
    info: dict[str, Any] = {}
    if product is None and not mirror:
        try:
            info = latest_product(dataset, api_url=api)
            product = info["id"]
            logger.info("%s: newest product in the catalogue is %s", src.name, product)
        except DownloadError as exc:
            from impact.sources.melodi import cached

            have = cached(src.name, folder)
            if have is not None:
                logger.warning("%s; using the cached %s", exc, have.name)
                return have
            product = src.melodi_product
            logger.warning("%s; trying the registered product %s", exc, product)
    product = product or src.melodi_product
    target = folder / f"{product}.zip"
    sidecar = target.with_name(target.name + ".provenance.json")
    if target.exists() and sidecar.exists():
        logger.info("%s: %s already in the cache", src.name, target)
        return target
    if mirror:
        url = mirror.rstrip("/") + "/" + target.name
    else:
        url = info.get("url") or f"{api}/file/{dataset}/{product}"
    expected = known_hash or src.sha256
    part = folder / f".{target.name}.part"
    resumed = _download_resumable(url, part, name=src.name, size=info.get("bytes"),
                                  progressbar=progressbar, retries=retries)
    from impact._io import atomic_path, sha256

    try:
        with zipfile.ZipFile(part) as zf:
            zf.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        part.unlink(missing_ok=True)
        raise DownloadError(f"{src.name}: {url} did not give a ZIP archive ({exc}); "
                            "nothing was kept") from exc
    digest = sha256(part)
    if expected and digest != expected:
        part.unlink(missing_ok=True)
        raise DownloadError(f"{src.name}: checksum mismatch for {url}: expected sha256 "
                            f"{expected}, got {digest}; nothing was kept")
    if not expected:
        logger.warning("%s: no checksum registered (each Melodi vintage is a new file); "
                       "recording the SHA-256 of what was downloaded", src.name)
    meta = {"source": src.name, "dataset": dataset, "product": product, "url": url,
            "catalog_url": info.get("catalog_url"), "catalog_bytes": info.get("bytes"),
            "catalog_modified": info.get("modified"), "geography": info.get("geography"),
            "licence": src.licence,
            "downloaded": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "bytes": part.stat().st_size, "sha256": digest, "sha256_verified": bool(expected),
            "resumed_from": resumed}
    os.replace(part, target)
    with atomic_path(sidecar, suffix=".json") as tmp:
        tmp.write_text(json.dumps(meta, indent=1))
    logger.info("%s: downloaded %s (%d bytes, sha256 %s%s)", src.name, target, meta["bytes"],
                digest, f", resumed at {resumed}" if resumed else "")
    return target


def _download_resumable(url: str, part: Path, *, name: str, size: int | None,
                        progressbar: bool, retries: int, timeout: float = 60) -> list[int]:
    """Download ``url`` into ``part``, resuming with HTTP Range; return the resume offsets.

    ``part`` keeps what was received when the download fails, so the next call
    resumes it. A server that ignores ``Range`` (answers 200) restarts the file.
    """
    import requests
    from tqdm.auto import tqdm

    resumed: list[int] = []
    failures = 0
    total = size
    with requests.Session() as session:
        while True:
            have = part.stat().st_size if part.exists() else 0
            headers = {"Range": f"bytes={have}-"} if have else {}
            try:
                with session.get(url, headers=headers, stream=True, timeout=timeout) as resp:
                    # Keep the bytes of a connection closed early (urllib3 would raise and
                    # drop the last read): the size check below resumes from there.
                    if hasattr(resp.raw, "enforce_content_length"):
                        resp.raw.enforce_content_length = False
                    if resp.status_code == 416 and have:
                        m = re.fullmatch(r"bytes \*/(\d+)", resp.headers.get("Content-Range", ""))
                        if m and int(m.group(1)) == have:
                            return resumed  # the partial file was already complete
                        logger.warning("%s: the server refused to resume at byte %d; "
                                       "restarting", name, have)
                        part.unlink()
                        continue
                    if resp.status_code >= 400:
                        if resp.status_code in (429, 500, 502, 503, 504):
                            raise requests.exceptions.ConnectionError(f"HTTP {resp.status_code}")
                        raise DownloadError(f"{name}: the server answered HTTP "
                                            f"{resp.status_code} for {url}")
                    if have and resp.status_code == 206:
                        m = re.match(r"bytes (\d+)-\d+/(\d+|\*)",
                                     resp.headers.get("Content-Range", ""))
                        if not m or int(m.group(1)) != have:
                            raise DownloadError(f"{name}: the server resumed at the wrong "
                                                f"offset ({resp.headers.get('Content-Range')!r}, "
                                                f"asked {have})")
                        if m.group(2) != "*":
                            total = int(m.group(2))
                        mode = "ab"
                        resumed.append(have)
                        logger.info("%s: resuming the download at byte %d", name, have)
                    else:
                        if have:
                            logger.warning("%s: the server ignored the Range request; "
                                           "restarting from zero", name)
                        have, mode = 0, "wb"
                        length = resp.headers.get("Content-Length")
                        total = int(length) if length and length.isdigit() else total
                    with open(part, mode) as fh, tqdm(
                            total=total, initial=have, unit="B", unit_scale=True,
                            desc=part.name[1:-5], disable=not progressbar, leave=False) as bar:
                        for chunk in resp.iter_content(_CHUNK):
                            fh.write(chunk)
                            bar.update(len(chunk))
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                    requests.exceptions.ChunkedEncodingError) as exc:
                failures += 1
                got = part.stat().st_size if part.exists() else 0
                if failures > retries:
                    raise DownloadError(
                        f"{name}: download of {url} interrupted after {got:,} bytes ({exc}); "
                        "run 'impact fetch' again to resume it") from exc
                logger.warning("%s: download interrupted after %d bytes (%s); resuming "
                               "(%d/%d)", name, got, exc, failures, retries)
                time.sleep(min(0.5 * 2 ** failures, 10.0))
                continue
            got = part.stat().st_size
            if total is not None and got < total:
                failures += 1
                if failures > retries:
                    raise DownloadError(f"{name}: download of {url} stopped at {got:,} of "
                                        f"{total:,} bytes; run 'impact fetch' again to resume it")
                logger.warning("%s: connection closed at %d of %d bytes; resuming", name,
                               got, total)
                continue
            if total is not None and got > total:
                part.unlink()
                raise DownloadError(f"{name}: received {got:,} bytes, more than the "
                                    f"{total:,} announced; nothing was kept")
            return resumed
