"""The front door: `nianbao demo` builds and serves; Scrapy's own commands see the spider."""
from __future__ import annotations

import html
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import NIANBAO, ROOT, free_port, run_cli, start_server


def test_scrapy_list_names_the_spider():
    out = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "reports" in out.stdout.split()


def test_help_teaches():
    out = run_cli("--help").stdout
    for cmd in ("demo", "crawl", "extract", "serve", "replica", "sites"):
        assert cmd in out
    assert "Examples" in run_cli("crawl", "--help").stdout


def test_extract_without_archive_is_a_clear_error(tmp_path):
    out = run_cli("extract", "--db", str(tmp_path / "none.db"), check=False)
    assert out.returncode != 0 and "does not exist" in out.stderr


@pytest.mark.slow  # a whole demo build (~30 s): CI runs it in `make test-all`
def test_demo_builds_then_serves(tmp_path):
    """`nianbao demo` (what `make demo` runs): replica → crawl → extract → Datasette answering."""
    port = free_port()
    db = tmp_path / "archive.db"
    proc = subprocess.Popen(NIANBAO + ["demo", "--port", str(port), "--replica-port", str(free_port()),
                                       "--db", str(db)],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 180
        data = None
        while time.time() < deadline:
            if proc.poll() is not None:
                raise AssertionError(proc.stdout.read().decode("utf-8", "replace")[-4000:])
            try:
                with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/archive/reports.json?_shape=array&_col=title", timeout=2) as r:
                    data = json.loads(r.read())
                break
            except OSError:
                time.sleep(0.5)
        assert data, "Datasette never answered"
        assert all("报告" in row["title"] for row in data)
        assert (tmp_path / "data" / "blobs").is_dir()
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


# ---------------------------------------------------------------- nianbao serve

def tiny_archive(path):
    """An empty archive with the full schema (tables, views, search index), as `crawl` makes it."""
    from crawler.archive import Archive

    Archive(path).close()
    return path


def metadata_leftovers(tmpdir) -> set[str]:
    return {p.name for p in tmpdir.iterdir() if p.name.startswith("nianbao-metadata-")}


def test_serve_help_is_about_publishing():
    out = run_cli("serve", "--help").stdout
    assert "publish" in out.lower()
    assert "read only" in out
    assert "write" not in out.lower()
    for example in ("/archive/reports/1", "/-/search?q=", "/archive/search?q=", ".csv", ".json"):
        assert example in out, example


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_serve_another_name_links_follow_and_leaves_nothing_behind(tmp_path, stop):
    """`nianbao serve --db other.db` serves /other, every metadata link points at /other, and the
    rewritten metadata is gone once the server is stopped (SIGTERM, or Ctrl-C's SIGINT)."""
    db = tiny_archive(tmp_path / "other.db")
    # The server's own temp dir (TMPDIR is what tempfile.gettempdir() reads), so that nothing
    # another process does in the shared /tmp can make this pass or fail.
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    before = metadata_leftovers(tmpdir)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(NIANBAO + ["serve", "--db", str(db), "--port", str(port)], base + "/-/versions.json",
                        tmp_path / "serve.log", env={**os.environ, "TMPDIR": str(tmpdir)})
    try:
        assert metadata_leftovers(tmpdir) - before, "the rewritten metadata should live in the temp dir"
        with urllib.request.urlopen(base + "/other/reports", timeout=30) as r:
            assert r.status == 200
        with urllib.request.urlopen(base + "/", timeout=30) as r:
            index = r.read().decode("utf-8")
        links = [html.unescape(h) for h in re.findall(r'href="(/[^"]*)"', index)]
        assert any(link.startswith("/other/") for link in links), links
        assert not [link for link in links if link == "/archive" or link.startswith(("/archive/", "/archive?"))]
        with urllib.request.urlopen(base + "/-/metadata.json", timeout=30) as r:
            meta = r.read().decode("utf-8")
        assert "/archive" not in meta and '"other"' in meta
        with urllib.request.urlopen(base + "/robots.txt", timeout=30) as r:  # block-robots follows too
            assert "Disallow: /other" in r.read().decode("utf-8").splitlines()
    finally:
        proc.send_signal(stop)
        try:
            rc = proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert rc == 0, (tmp_path / "serve.log").read_text()
    assert metadata_leftovers(tmpdir) == before
    with pytest.raises(OSError):
        urllib.request.urlopen(base + "/-/versions.json", timeout=2)


def test_serve_archive_uses_metadata_yml_itself(tmp_path):
    """Served as `archive`, metadata.yml applies as it is: no temporary copy at all."""
    from crawler.cli import METADATA, datasette_command

    with datasette_command(str(tmp_path / "archive.db"), "127.0.0.1", 1) as args:
        assert args[args.index("--metadata") + 1] == str(METADATA)
    with datasette_command(str(tmp_path / "other.db"), "127.0.0.1", 1) as args:
        written = Path(args[args.index("--metadata") + 1])
        meta = json.loads(written.read_text(encoding="utf-8"))
        assert "other" in meta["databases"] and "archive" not in meta["databases"]
        assert "/archive" not in json.dumps(meta, ensure_ascii=False)
        assert 'href="/other/reports"' in meta["description_html"]
    assert not written.parent.exists()
