"""The Datasette plugins the archive is published with are installed, load in the pinned Datasette,
and do their job on a real `nianbao serve`: charts (datasette-vega), copy as TSV / Markdown
(datasette-copyable), readable JSON columns (datasette-pretty-json), and a robots.txt that keeps
crawlers out of the endless facet URLs (datasette-block-robots, configured in metadata.yml)."""
from __future__ import annotations

import html
import importlib.metadata
import json
import sqlite3
import urllib.request

import pytest
import yaml

from tests.conftest import NIANBAO, ROOT, free_port, start_server, stop_process

PLUGINS = ("datasette-vega", "datasette-copyable", "datasette-pretty-json", "datasette-block-robots")


def pinned() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        name, _, version = line.strip().partition("==")
        if version:
            pins[name.lower()] = version
    return pins


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, r.read().decode("utf-8")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`nianbao serve` over a small archive (full schema, one crawl run with its JSON stats)."""
    from crawler.archive import Archive

    work = tmp_path_factory.mktemp("plugins")
    db = work / "archive.db"
    Archive(db).close()
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("insert into crawl_runs (id, status, stats) values (1, 'finished', ?)",
                     [json.dumps({"downloader/request_count": 3, "agency/x/report_links": 2})])
    conn.close()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(NIANBAO + ["serve", "--db", str(db), "--port", str(port)], base + "/-/versions.json",
                        work / "serve.log")
    try:
        yield base
    finally:
        stop_process(proc)


def test_plugins_are_pinned_and_installed():
    pins = pinned()
    for name in PLUGINS:
        assert name in pins, f"{name} is not pinned in requirements.txt"
        assert importlib.metadata.version(name) == pins[name], f"installed {name} differs from its pin"
    assert importlib.metadata.version("datasette") == pins["datasette"] == "0.65.5"


def test_served_datasette_lists_the_plugins(served):
    _, body = get(served + "/-/plugins.json")
    loaded = {p["name"]: p["version"] for p in json.loads(body)}
    pins = pinned()
    for name in PLUGINS:
        assert loaded.get(name) == pins[name], f"{name} not loaded: {sorted(loaded)}"
    assert "cjk_search.py" in loaded  # the archive's own plugins still come from publish/plugins


def test_robots_txt_allows_only_the_index(served):
    config = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))["plugins"]
    assert config["datasette-block-robots"] == {"allow_only_index": True}
    status, body = get(served + "/robots.txt")
    assert status == 200
    assert body.splitlines() == ["User-agent: *", "Disallow: /archive"]


def test_copyable_output(served):
    status, body = get(served + "/archive/crawl_runs.copyable?_raw=1&_col=status")
    assert status == 200
    assert body.splitlines()[:2] == ["id\tstatus", "1\tfinished"]
    _, markdown = get(served + "/archive/crawl_runs.copyable?_raw=1&_col=status&_table_format=github")
    assert markdown.splitlines()[0].startswith("|") and "status" in markdown
    _, page = get(served + "/archive/crawl_runs")
    assert "crawl_runs.copyable" in page  # offered beside json and CSV


def test_pretty_json_column(served):
    _, page = get(served + "/archive/crawl_runs/1")
    blocks = [html.unescape(b) for b in page.split("<pre")[1:]]
    assert any('"downloader/request_count": 3' in b for b in blocks), "stats not pretty-printed"


def test_vega_charts_are_offered(served):
    _, page = get(served + "/archive/crawl_runs")
    scripts = [s for s in page.split('"') if s.startswith("/-/static-plugins/datasette_vega/") and s.endswith(".js")]
    assert scripts, "datasette-vega's script is not on the table page"
    status, js = get(served + scripts[0])
    assert status == 200 and "export-links" in js  # it finds the table's JSON link by this class
    assert 'class="export-links"' in page
