"""The front door: `nianbao demo` builds and serves; Scrapy's own commands see the spider."""
from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

from tests.conftest import NIANBAO, ROOT, free_port, run_cli


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
