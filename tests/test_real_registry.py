"""The registry of real agency sites: big enough, spread over the country, and every start_url has
the shape its platform's adapter expects. No network: shapes and bookkeeping only.

When ../shared is present (developers, CI), every row of the list of real report URLs the registry
was built from must be covered by an entry of the same province and level.
"""
from __future__ import annotations

import csv
import re
from collections import Counter
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from crawler.registry import load_registry, registry_path
from tests.conftest import run_cli

AGENCIES = load_registry("real")
BY_ID = {a.id: a for a in AGENCIES}
SEED_AGENCIES = (
    "新疆维吾尔自治区民政厅", "无锡市滨湖区民政局", "常德市民政局", "乌苏市民政局", "江苏省民政厅",
)

# what each platform adapter will be handed: the column's first list page
SHAPES = {
    "trs": re.compile(r"/index(_\d+)?\.(html|shtml|htm)$"),
    "trs_fujian": re.compile(r"/index(_\d+)?\.(html|shtml|htm)$"),
    "hanweb": re.compile(r"^/col/col(\d+)/index\.html$"),
    "hanweb_xxgk": re.compile(r"^/module/xxgk/xxgkAnnualReport\.jsp$"),
    "gkmlpt": re.compile(r"^(/[\w-]+)?/gkmlpt/index$"),
    "anhui": re.compile(r"^(/zwgk)?/public/column/(\d+)$|^/openness/OpennessAnnualReport/"),
}


def example_urls(a) -> list[str]:
    opts = a.options or {}
    urls = [opts["example_report"]] if opts.get("example_report") else []
    urls += [e["url"] for e in opts.get("example_reports", ())]
    return urls


def examples_with_years(a) -> list[tuple[str, int | None]]:
    opts = a.options or {}
    out = [(opts["example_report"], opts.get("example_year"))] if opts.get("example_report") else []
    out += [(e["url"], e["year"]) for e in opts.get("example_reports", ())]
    return out


def test_loads_and_is_big_enough():
    assert len(AGENCIES) >= 50
    provinces = Counter(a.province for a in AGENCIES)
    assert len(provinces) >= 20, provinces


def test_ids_and_names_unique():
    ids = [a.id for a in AGENCIES]
    assert len(ids) == len(set(ids))
    names = [a.name for a in AGENCIES]
    assert len(names) == len(set(names)), [n for n, c in Counter(names).items() if c > 1]


def test_places_are_consistent():
    for a in AGENCIES:
        if a.level == "province":
            assert not a.city and not a.county, a.id
        if a.level == "county":
            assert a.county and a.county in a.name, a.id
        if a.level == "city" and a.city:
            assert a.name.startswith(a.city), a.id
        # 直辖市 districts have no city
        if a.province in ("北京市", "天津市", "上海市", "重庆市"):
            assert not a.city and a.name.startswith(a.province), a.id


@pytest.mark.parametrize("agency", AGENCIES, ids=lambda a: a.id)
def test_start_url_shape(agency):
    u = urlparse(agency.start_url)
    assert u.scheme in ("http", "https") and u.netloc and not u.fragment
    opts = agency.options or {}
    shape = SHAPES.get(agency.platform)
    if shape is None:
        return  # generic: any page
    m = shape.search(u.path)
    assert m, f"{agency.id}: {agency.start_url} is not a {agency.platform} column URL"
    if agency.platform in ("trs", "trs_fujian"):
        assert not u.query
        # an example report lives in the column (or, for per-year buckets, in that year's bucket)
        for url, year in examples_with_years(agency):
            column = agency.start_url
            if "year_column" in opts:
                column = opts["year_column"].replace("{YYYY}", str(year))
            folder = urlparse(column).path.rsplit("/", 1)[0] + "/"
            assert urlparse(url).path.startswith(folder), f"{agency.id}: {url} is not in {folder}"
    elif agency.platform == "hanweb":
        assert int(opts["columnid"]) == int(m.group(1))
        for url in example_urls(agency):
            art = re.search(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_(\d+)_\d+\.html$", url)
            if art:
                assert int(art.group(1)) == int(opts["columnid"]), url
    elif agency.platform == "hanweb_xxgk":
        q = parse_qs(u.query)
        assert q.get("area") == [str(opts["area"])] and "fbtime" not in q
        assert opts.get("year_param") == "fbtime"
    elif agency.platform == "anhui" and m.group(2):
        assert int(opts["unit_id"]) == int(m.group(2))


def test_every_entry_has_an_example_or_says_why_not():
    for a in AGENCIES:
        assert a.options is not None
        urls = example_urls(a)
        for url in urls:
            assert url.startswith(("http://", "https://")), (a.id, url)
        if not urls:
            assert "no report url" in (raw_notes(a.id) or "").lower(), a.id


def test_seed_agencies_present():
    names = {a.name for a in AGENCIES}
    assert set(SEED_AGENCIES) <= names


def raw_notes(agency_id: str) -> str | None:
    doc = yaml.safe_load(registry_path("real").read_text(encoding="utf-8"))
    return next(e.get("notes") for e in doc["agencies"] if e["id"] == agency_id)


# ------------------------------------------------------------------ against the source list

PROVINCE_SUFFIX = {"内蒙古": "内蒙古自治区", "新疆": "新疆维吾尔自治区", "广西": "广西壮族自治区",
                   "宁夏": "宁夏回族自治区", "西藏": "西藏自治区", "北京": "北京市", "天津": "天津市",
                   "上海": "上海市", "重庆": "重庆市"}
LEVELS = {"district": "county", "county": "county", "city": "city", "province": "province",
          "central": "central", "township": "township"}


def full_province(short: str) -> str:
    return PROVINCE_SUFFIX.get(short, short if short.endswith(("省", "市", "自治区")) else short + "省")


def clean_agency(raw: str) -> str:
    """The list's agency column sometimes carries a guess or a remark: 柳河县民政局(推测,jllh)."""
    return re.split(r"\s*[（(]", raw, maxsplit=1)[0].strip()


@pytest.fixture(scope="module")
def tsv_rows(shared_dir):
    path = shared_dir / "data" / "real-report-urls.tsv"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert rows and "url" in rows[0]
    return rows


def test_every_listed_report_is_covered(tsv_rows):
    hosts = set()
    for a in AGENCIES:
        hosts.add(urlparse(a.start_url).netloc)
        hosts.update(urlparse(u).netloc for u in example_urls(a))
    by_url = {u: a for a in AGENCIES for u in example_urls(a)}
    missing = [r["url"] for r in tsv_rows if urlparse(r["url"]).netloc not in hosts]
    assert not missing, f"hosts of these rows appear nowhere in the registry: {missing}"
    missing = [r["url"] for r in tsv_rows if r["url"] not in by_url]
    assert not missing, f"report URLs not recorded as an example of any agency: {missing}"


def test_listed_rows_match_their_entry(tsv_rows):
    for r in tsv_rows:
        a = next(a for a in AGENCIES if r["url"] in example_urls(a))
        assert a.province == full_province(r["province"].strip()), (a.id, r["province"])
        assert a.level == LEVELS[r["level"].strip()], (a.id, r["level"])
        name = clean_agency(r["agency"])
        assert name == a.name or name in a.aliases or a.name.startswith(name), (a.id, r["agency"])
        year = r["report_year"].strip()
        if year.isdigit():
            years = {a.options.get("example_year")} | {e["year"] for e in a.options.get("example_reports", ())}
            assert int(year) in years, (a.id, year)


def test_sites_check_counts_the_registry():
    """`nianbao sites check real` validates it; until every platform has an adapter it also lists the
    platforms still missing one (and exits 1), which is the only complaint allowed here."""
    proc = run_cli("sites", "check", "real", check=False)
    m = re.search(r"real: (\d+) agencies, (\d+) provinces", proc.stdout)
    assert m and int(m.group(1)) >= 50 and int(m.group(2)) >= 20, proc.stdout + proc.stderr
    for line in proc.stderr.splitlines():
        if line.strip():
            assert "no adapter yet for platform" in line, line
