"""Which links and pages are annual reports, of which agency and which year.

Lists mix reports with news, notices about compiling reports (关于做好…年度报告编制工作的通知),
interpretations (图解/解读) and reports of other agencies (a county portal lists every bureau's).
Deciding from the title alone is what real crawlers can do before fetching a page, so this module
works on titles, with the published date as the fallback for the year.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年")
# An annual report names the disclosure work it reports on; agencies publish other 年度报告 too
# (法治政府建设年度报告, 政府网站工作年度报表) that are not ours.
REPORT_RE = re.compile(r"(信息|政务)公开.{0,8}(年度报告|工作报告|年报|报告)")
# Titles that mention a report but are something else: notices about compiling reports,
# interpretations and charts of a report, press events, solicitations.
NOT_REPORT_RE = re.compile(
    r"通知|解读|图解|一图读懂|图说|问答|发布会|新闻发布|征求|意见|部署|培训|编制|考核|测评|评估|公示|公告|答记者问|视频|动漫"
)
AGENCY_SUFFIX_RE = re.compile(
    r"(局|厅|委|委员会|办|办公室|政府|院|中心|所|站|会|部|署|处|队|区|县|市|州|盟|旗|镇|乡|街道|社区|村|集团|公司|馆|校|学院|大学)$"
)


def normalize(text: str) -> str:
    """NFKC (full-width digits and brackets), no spaces: titles are compared by content."""
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"\s+", "", text)


@dataclass(frozen=True)
class TitleVerdict:
    kind: str  # report | other_agency_report | not_report
    reason: str
    year: int | None = None
    issuer: str = ""


def issuer_of(title: str) -> str:
    """The agency named before the year, e.g. 无锡市滨湖区民政局 in 无锡市滨湖区民政局2020年…."""
    t = normalize(title)
    m = YEAR_RE.search(t)
    if not m:
        return ""
    head = t[: m.start()]
    head = re.sub(r"^(关于|【[^】]*】|\[[^\]]*\])+", "", head)
    return head.strip("《》“”\"'：:·-—_ ")


def is_same_agency(issuer: str, name: str, aliases: tuple[str, ...] | list[str] = ()) -> bool:
    if not issuer:
        return True
    full = normalize(name)
    # A title may shorten the full name (滨湖区民政局 for 无锡市滨湖区民政局) or lengthen it with its
    # province; short aliases (市民政局) only count when they are the whole issuer.
    if full and (full.endswith(issuer) or issuer.endswith(full)):
        return True
    return any(issuer == normalize(a) for a in aliases)


def classify_title(title: str, name: str = "", aliases: tuple[str, ...] | list[str] = ()) -> TitleVerdict:
    """Is this title an annual report of the agency called ``name``?"""
    t = normalize(title)
    if not t:
        return TitleVerdict("not_report", "empty title")
    if not REPORT_RE.search(t):
        return TitleVerdict("not_report", "no 年度报告/年报 in title")
    ym = YEAR_RE.search(t)
    if not ym:
        return TitleVerdict("not_report", "no year in title")
    bad = NOT_REPORT_RE.search(t)
    if bad:
        return TitleVerdict("not_report", f"mentions a report but is a {bad.group(0)}")
    year = int(ym.group(1))
    issuer = issuer_of(t)
    if name and issuer and not is_same_agency(issuer, name, aliases):
        if AGENCY_SUFFIX_RE.search(issuer):
            return TitleVerdict("other_agency_report", f"report of {issuer}", year, issuer)
    return TitleVerdict("report", "title names an annual report", year, issuer)


def report_year(title: str, published: str | None = None) -> int | None:
    """Report year from the title; else the year before publication (reports appear Jan–Mar of Y+1)."""
    m = YEAR_RE.search(normalize(title))
    if m:
        return int(m.group(1))
    if published and re.match(r"\d{4}-\d{2}", published):
        y, mth = int(published[:4]), int(published[5:7])
        return y - 1 if mth <= 6 else y
    return None
