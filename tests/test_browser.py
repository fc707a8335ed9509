"""What a person sees: Datasette pages rendered by headless Chromium."""
from __future__ import annotations

import subprocess
import urllib.parse

import lxml.html
import pytest

from tests.conftest import chromium_path

pytestmark = pytest.mark.browser

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def chromium():
    path = chromium_path()
    if not path:
        pytest.skip("headless Chromium is not installed (Debian package `chromium`)")
    return path


def dump_dom(chromium, url, tmp_path) -> lxml.html.HtmlElement:
    out = subprocess.run([chromium, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                          "--virtual-time-budget=5000", "--dump-dom", url],
                         capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr.decode("utf-8", "replace")[-2000:]
    return lxml.html.fromstring(out.stdout.decode("utf-8"))


def test_search_box_finds_two_character_word(chromium, datasette_url, tmp_path):
    url = f"{datasette_url}/archive/reports?" + urllib.parse.urlencode({"_search": "复议"})
    dom = dump_dom(chromium, url, tmp_path)
    box = dom.xpath('//input[@name="_search"]')
    assert box and box[0].get("value") == "复议", "the table page shows its search box with the query"
    count = " ".join(dom.xpath('//h3//text()'))
    assert "row" in count and not count.strip().startswith("0 row")
    titles = dom.xpath('//table[contains(@class,"rows-and-columns")]//td[contains(@class,"col-title")]//text()')
    assert titles and all("报告" in t for t in titles if t.strip())


def test_facets_render(chromium, datasette_url, tmp_path):
    dom = dump_dom(chromium, f"{datasette_url}/archive/reports", tmp_path)
    facet_names = {t.strip() for t in dom.xpath('//div[contains(@class,"facet-info")]//strong//text()'
                                                '| //div[contains(@class,"facet-info")]/@data-column')}
    assert {"province", "level", "agency", "year"} <= facet_names
