"""What a person sees: Datasette pages rendered by headless Chromium."""
from __future__ import annotations

import urllib.parse

import pytest

from tests.conftest import dump_dom

pytestmark = pytest.mark.browser

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
