"""What a person sees: Datasette pages rendered by headless Chromium."""
from __future__ import annotations

import urllib.parse

import pytest

from tests.conftest import dump_dom

pytestmark = pytest.mark.browser

def test_search_box_finds_two_character_word(chromium, datasette_url, tmp_path):
    # the reports table's search box leads to the search page, which shows the query and the reports
    url = f"{datasette_url}/archive/reports?" + urllib.parse.urlencode({"_search": "复议"})
    dom = dump_dom(chromium, url, tmp_path)
    box = dom.xpath('//form[contains(@class,"nb-filters")]//input[@name="q"]')
    assert box and box[0].get("value") == "复议", "the search page shows its search box with the query"
    titles = dom.xpath('//ol[@class="nb-results"]/li/a[@class="nb-result-title"]//text()')
    assert titles and all("报告" in t for t in titles if t.strip())
    # Datasette's own table of every match, one click away, keeps its search box and rows
    table = dom.xpath('//a[contains(@href, "_table=1")]/@href')
    assert table, "the search page links to the table of every match"
    dom = dump_dom(chromium, urllib.parse.urljoin(datasette_url, table[0]), tmp_path)
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
