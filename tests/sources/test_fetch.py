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
