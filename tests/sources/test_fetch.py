"""fetch(): cached pooch downloads against a local HTTP server (no network)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import threading

import pytest
from typer.testing import CliRunner

from impact.sources import registry
from impact.sources.fetch import DownloadError, fetch


@pytest.fixture()
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    hits: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root, hits
    httpd.shutdown()
    httpd.server_close()


def test_download_cache_hit_and_provenance(server, tmp_path):
    url, root, hits = server
    name = registry.get("unemployment").filename
    (root / name).write_bytes(b"workbook bytes")
    cache = tmp_path / "cache"
    path = fetch("unemployment", cache_dir=cache, base_url=url, progressbar=False)
    assert path.read_bytes() == b"workbook bytes" and len(hits) == 1
    again = fetch("unemployment", cache_dir=cache, base_url=url, progressbar=False)
    assert again == path and len(hits) == 1          # served from the cache
    info = json.loads(path.with_name(path.name + ".provenance.json").read_text())
    assert info["sha256"] == hashlib.sha256(b"workbook bytes").hexdigest()
    assert info["sha256_verified"] is False


def test_checksum_mismatch_leaves_nothing(server, tmp_path, monkeypatch):
    url, root, _ = server
    name = registry.get("unemployment").filename
    (root / name).write_bytes(b"tampered")
    monkeypatch.setenv("IMPACT_MIRROR_URL", url)
    cache = tmp_path / "cache"
    with pytest.raises(DownloadError, match="checksum"):
        fetch("unemployment", cache_dir=cache, known_hash="0" * 64, progressbar=False)
    assert not (cache / name).exists()
    assert [p.name for p in cache.iterdir() if not p.name.startswith(".")] == []


def test_http_404_is_clear(server, tmp_path):
    url, _, _ = server
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch("urssaf_communes", cache_dir=tmp_path / "c", base_url=url, progressbar=False)
    assert not (tmp_path / "c" / registry.get("urssaf_communes").filename).exists()


def test_unknown_source_lists_known():
    with pytest.raises(Exception, match="sirene_unites_legales"):
        fetch("nope")


def test_cli_fetch_help_lists_sources_and_downloads(server, tmp_path):
    from impact.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["fetch", "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    for name, src in registry.SOURCES.items():
        assert name in res.output and src.size.split()[0] in res.output
    assert "Licence Ouverte" in res.output and "ODbL" in res.output
    url, root, _ = server
    (root / registry.get("unemployment").filename).write_bytes(b"x")
    res = runner.invoke(app, ["fetch", "unemployment", "--cache-dir", str(tmp_path / "k"),
                              "--mirror", url, "--no-progress"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "k" / registry.get("unemployment").filename).exists()
    res = runner.invoke(app, ["fetch", "urssaf_communes", "--cache-dir", str(tmp_path / "k"),
                              "--mirror", url, "--no-progress"])
    assert res.exit_code == 1 and "HTTP 404" in res.output


# --------------------------------------------------------------------------- #
# INSEE Melodi: catalogue look-up, Range requests, resumed downloads
# --------------------------------------------------------------------------- #

import io  # noqa: E402
import zipfile  # noqa: E402

from impact.sources import fetch as fetch_mod  # noqa: E402
from impact.sources import melodi  # noqa: E402
from impact.sources.fetch import latest_product  # noqa: E402

DS = "DS_SIDE_CREA_ENT_COM"


class _Unseekable(io.RawIOBase):
    def __init__(self):
        self.buf = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.buf += bytes(b)
        return len(b)


def _melodi_zip(product: str, n_rows: int = 3000) -> bytes:
    """A Melodi-layout ZIP (data descriptors) large enough to be cut mid-way."""
    lines = ['"GEO";"GEO_OBJECT";"SIDE_MEASURE";"ACTIVITY";"LEGAL_FORM";"TIME_PERIOD";'
             '"OBS_VALUE"']
    lines += [f'"{1000 + i:05d}";"COM";"BURE";"_T";"_T";"2016";{i % 97}' for i in range(n_rows)]
    stream = _Unseekable()
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(f"{product}_data.csv", "\n".join(lines) + "\n")
        zf.writestr(f"{product}_metadata.csv",
                    '"COD_VAR";"LIB_VAR";"COD_MOD";"LIB_MOD"\n"SIDE_MEASURE";"Mesure";"BURE";'
                    '"Créations"\n')
    return bytes(stream.buf)


def _product(pid: str, base: str, fmt: str = "CSV", modified: str = "2025-01-01T00:00:00",
             size: int | None = None) -> dict:
    return {"id": pid, "format": fmt, "modified": modified, "byteSize": size,
            "accessURL": f"{base}/file/{DS}/{pid}", "language": "FR"}


class MelodiService:
    """State of the fake Melodi service: files, catalogue, interruptions, request log."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.catalog: dict[str, object] = {}
        self.catalog_status = 200
        self.cut: dict[str, list[int]] = {}      # path -> bytes sent by successive requests
        self.ignore_range = False
        self.log: list[tuple[str, str | None]] = []


@pytest.fixture()
def melodi_server():
    svc = MelodiService()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status, body, ctype="application/octet-stream", headers=()):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802
            rng = self.headers.get("Range")
            svc.log.append((self.path, rng))
            if self.path.startswith("/catalog/"):
                ds = self.path.rsplit("/", 1)[1]
                if svc.catalog_status != 200 or ds not in svc.catalog:
                    return self._send(svc.catalog_status if svc.catalog_status != 200 else 404,
                                      b'{"error": "no"}', "application/json")
                return self._send(200, json.dumps(svc.catalog[ds]).encode(), "application/json")
            data = svc.files.get(self.path)
            if data is None:
                return self._send(404, b"not found", "text/plain")
            start = 0
            if rng and not svc.ignore_range:
                start = int(rng.split("=")[1].split("-")[0])
                if start >= len(data):
                    return self._send(416, b"", headers=[("Content-Range", f"bytes */{len(data)}")])
            body = data[start:]
            cuts = svc.cut.get(self.path)
            if cuts:
                # Announce the whole remainder, send only part of it, close the connection.
                n = cuts.pop(0)
                self.send_response(206 if start else 200)
                self.send_header("Content-Length", str(len(body)))
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.end_headers()
                self.wfile.write(body[:n])
                self.wfile.flush()
                self.close_connection = True
                return None
            if start:
                return self._send(206, body, headers=[
                    ("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")])
            return self._send(200, body)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", svc
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch):
    monkeypatch.setattr(fetch_mod.time, "sleep", lambda s: None)


def _publish(svc, base, *pids):
    for pid in pids:
        svc.files[f"/file/{DS}/{pid}"] = _melodi_zip(pid)
    svc.catalog[DS] = {"identifier": DS, "spatialTemporal": "2024-01-01T01:00:00", "product": [
        _product(p, base, modified=f"2025-0{i + 1}-01T00:00:00") for i, p in enumerate(pids)]
        + [_product(pids[0] + "_XLSX", base, fmt="XLSX")]}


def test_catalogue_picks_the_newest_product_then_a_newer_one(melodi_server, tmp_path):
    base, svc = melodi_server
    _publish(svc, base, f"{DS}_2024_CSV_FR", f"{DS}_2025_CSV_FR")
    cache = tmp_path / "cache"
    path = fetch("side_creations_communes", cache_dir=cache, api_url=base, progressbar=False)
    assert path.name == f"{DS}_2025_CSV_FR.zip"
    assert path.read_bytes() == svc.files[f"/file/{DS}/{DS}_2025_CSV_FR"]
    info = json.loads(path.with_name(path.name + ".provenance.json").read_text())
    assert info["product"] == f"{DS}_2025_CSV_FR" and info["dataset"] == DS
    assert info["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert info["catalog_url"] == f"{base}/catalog/{DS}" and info["resumed_from"] == []
    assert "Licence Ouverte" in info["licence"] and info["geography"] == "2024-01-01T01:00:00"
    # The reader finds the geography of the codes in the provenance sidecar.
    df = melodi.read(path, harmonize=False)
    assert df.attrs["geography_year"] == 2024 and set(df["cog_year"]) == {2024}
    assert df.attrs["rows_read"] == 3000
    # A second call asks the catalogue again but finds the file in the cache.
    n_files = sum(p.startswith("/file/") for p, _ in svc.log)
    assert fetch("side_creations_communes", cache_dir=cache, api_url=base,
                 progressbar=False) == path
    assert sum(p.startswith("/file/") for p, _ in svc.log) == n_files
    # INSEE publishes a newer vintage: the catalogue names it and it is fetched.
    _publish(svc, base, f"{DS}_2024_CSV_FR", f"{DS}_2025_CSV_FR", f"{DS}_2026_CSV_FR")
    newer = fetch("side_creations_communes", cache_dir=cache, api_url=base, progressbar=False)
    assert newer.name == f"{DS}_2026_CSV_FR.zip"
    assert melodi.cached("side_creations_communes", cache) == newer
    assert not list(cache.glob(".*.part"))


def test_interrupted_download_is_resumed_with_a_range_request(melodi_server, tmp_path):
    base, svc = melodi_server
    pid = f"{DS}_2025_CSV_FR"
    _publish(svc, base, pid)
    full = svc.files[f"/file/{DS}/{pid}"]
    svc.cut[f"/file/{DS}/{pid}"] = [10_000, 25_000]      # two cuts, then a full answer
    path = fetch("side_creations_communes", cache_dir=tmp_path, api_url=base, progressbar=False)
    assert path.read_bytes() == full
    ranges = [r for p, r in svc.log if p.startswith("/file/")]
    assert ranges == [None, "bytes=10000-", "bytes=35000-"]
    info = json.loads(path.with_name(path.name + ".provenance.json").read_text())
    assert info["resumed_from"] == [10_000, 35_000]
    assert info["sha256"] == hashlib.sha256(full).hexdigest()


def test_interrupted_download_resumes_on_the_next_call(melodi_server, tmp_path):
    base, svc = melodi_server
    pid = f"{DS}_2025_CSV_FR"
    _publish(svc, base, pid)
    full = svc.files[f"/file/{DS}/{pid}"]
    svc.cut[f"/file/{DS}/{pid}"] = [12_345]
    with pytest.raises(DownloadError, match="again to resume"):
        fetch("side_creations_communes", cache_dir=tmp_path, api_url=base, progressbar=False,
              retries=0)
    assert not (tmp_path / f"{pid}.zip").exists()            # nothing half-written in the cache
    assert melodi.cached("side_creations_communes", tmp_path) is None
    part = tmp_path / f".{pid}.zip.part"
    assert part.stat().st_size == 12_345
    path = fetch("side_creations_communes", cache_dir=tmp_path, api_url=base, progressbar=False)
    assert path.read_bytes() == full and not part.exists()
    assert [r for p, r in svc.log if p.startswith("/file/")][-1] == "bytes=12345-"


def test_server_ignoring_range_restarts_from_zero(melodi_server, tmp_path):
    base, svc = melodi_server
    pid = f"{DS}_2025_CSV_FR"
    _publish(svc, base, pid)
    (tmp_path / f".{pid}.zip.part").write_bytes(b"stale bytes of another file")
    svc.ignore_range = True
    path = fetch("side_creations_communes", cache_dir=tmp_path, api_url=base, progressbar=False)
    assert path.read_bytes() == svc.files[f"/file/{DS}/{pid}"]


def test_complete_part_file_is_finished_without_download(melodi_server, tmp_path):
    base, svc = melodi_server
    pid = f"{DS}_2025_CSV_FR"
    _publish(svc, base, pid)
    (tmp_path / f".{pid}.zip.part").write_bytes(svc.files[f"/file/{DS}/{pid}"])
    path = fetch("side_creations_communes", cache_dir=tmp_path, api_url=base, progressbar=False)
    assert path.read_bytes() == svc.files[f"/file/{DS}/{pid}"]
    assert [r for p, r in svc.log if p.startswith("/file/")] == [
        f"bytes={len(svc.files[f'/file/{DS}/{pid}'])}-"]      # answered 416: already complete


def test_catalogue_unreachable_uses_the_cache_or_the_registered_product(melodi_server, tmp_path):
    base, svc = melodi_server
    pid = registry.get("side_creations_communes").melodi_product
    svc.files[f"/file/{DS}/{pid}"] = _melodi_zip(pid)
    svc.catalog_status = 429                                  # rate-limited
    path = fetch("side_creations_communes", cache_dir=tmp_path, api_url=base, progressbar=False)
    assert path.name == f"{pid}.zip"
    n = len(svc.log)
    assert fetch("side_creations_communes", cache_dir=tmp_path, api_url=base,
                 progressbar=False) == path
    assert len(svc.log) == n + 1                              # the catalogue only


def test_melodi_checksum_mismatch_and_non_zip_leave_nothing(melodi_server, tmp_path):
    base, svc = melodi_server
    pid = f"{DS}_2025_CSV_FR"
    _publish(svc, base, pid)
    with pytest.raises(DownloadError, match="checksum mismatch"):
        fetch("side_creations_communes", cache_dir=tmp_path, api_url=base, progressbar=False,
              known_hash="0" * 64)
    svc.files[f"/file/{DS}/{pid}"] = b"<html>maintenance</html>"
    with pytest.raises(DownloadError, match="did not give a ZIP"):
        fetch("side_creations_communes", cache_dir=tmp_path, api_url=base, progressbar=False)
    assert [p.name for p in tmp_path.iterdir()] == []
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch("side_stocks_communes", cache_dir=tmp_path, api_url=base, progressbar=False,
              product="DS_SIDE_STOCKS_UL_COM_2099_CSV_FR")


def test_melodi_from_a_mirror_and_pinned_product_from_the_cli(melodi_server, tmp_path):
    base, svc = melodi_server
    pid = "DS_POPULATIONS_REFERENCE_2023_CSV_FR"
    svc.files[f"/{pid}.zip"] = _melodi_zip(pid)
    path = fetch("populations_reference", cache_dir=tmp_path / "m", base_url=base,
                 progressbar=True)                           # the tqdm bar runs too
    assert path.read_bytes() == svc.files[f"/{pid}.zip"]
    assert not any(p.startswith("/catalog/") for p, _ in svc.log)
    old = "DS_SIDE_STOCKS_UL_COM_2021_CSV_FR"
    svc.files[f"/file/DS_SIDE_STOCKS_UL_COM/{old}"] = _melodi_zip(old)
    from impact.cli import app

    res = CliRunner().invoke(app, ["fetch", "side_stocks_communes", "--cache-dir",
                                   str(tmp_path / "k"), "--product", old, "--no-progress"],
                             env={"IMPACT_MELODI_API": base})
    assert res.exit_code == 0, res.output
    assert (tmp_path / "k" / f"{old}.zip").exists()
    with pytest.raises(DownloadError, match="only for Melodi"):
        fetch("unemployment", cache_dir=tmp_path, product=old)


def test_latest_product_rules(melodi_server):
    base, svc = melodi_server
    svc.catalog[DS] = {"identifier": DS, "product": [
        _product(f"{DS}_2025_CSV_FR", base, modified="2025-01-01T00:00:00", size=123),
        _product(f"{DS}_2024_CSV_FR", base, modified="2025-06-01T00:00:00"),
        _product(f"{DS}_2026_XLSX_FR", base, fmt="XLSX")]}
    p = latest_product(DS, api_url=base)
    assert p["id"] == f"{DS}_2025_CSV_FR" and p["bytes"] == 123
    svc.catalog[DS] = {"identifier": DS, "product": [_product(f"{DS}_X", base, fmt="XLSX")]}
    with pytest.raises(DownloadError, match="no CSV product"):
        latest_product(DS, api_url=base)
    svc.catalog_status = 500
    with pytest.raises(DownloadError, match="HTTP 500"):
        latest_product(DS, api_url=base)
