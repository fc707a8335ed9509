"""The numbers in the replica's report tables: four real reports' figures, and plausible random ones.

Real figures (from reports the project studied) are kept exactly, errors included: a report whose
总计 row contradicts its own rows is real data, and the archive's checks exist to find such things.
Random years are drawn from a seeded RNG and keep the arithmetic mostly consistent, including the
carry-over from one year to the next, so that continuity checks have something to pass.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from extract import schema

REQ_COLS = tuple(c.key for c in schema.REQUESTS_COLS)  # 6 applicant columns + total
APPLICANTS = schema.REQUESTS_APPLICANT_COLS


@dataclass
class Cell:
    value: int | float | None
    raw: str  # the cell text as printed (before padding and markup)


def num(v: int | float | None, raw: str | None = None) -> Cell:
    if raw is None:
        raw = "" if v is None else (str(v) if not isinstance(v, float) else (repr(v) if abs(v) < 1e15 else f"{v:f}"))
    return Cell(v, raw)


@dataclass
class Tables:
    """A report's three tables: values, printed text, and the per-table layout era."""

    layout: dict[str, str]  # table -> '2019' | '2021' (a report can mix eras)
    cells: dict[str, dict[str, dict[str, Cell]]]
    row_labels: dict[tuple[str, str], str] = field(default_factory=dict)  # printed label overrides
    col_labels: dict[tuple[str, str], str] = field(default_factory=dict)
    row_raw: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # printed cells replacing a row's
    quirks: list[str] = field(default_factory=list)

    def values(self) -> dict:
        return {t: {r: {c: cell.value for c, cell in cs.items()} for r, cs in rows.items()}
                for t, rows in self.cells.items()}

    @property
    def template(self) -> str:
        return self.layout["active"]


# ---------------------------------------------------------------------------------------------
# helpers to write tables compactly


def _req(template: str, given: dict[str, list], blank_zero: bool = False) -> dict[str, dict[str, Cell]]:
    """requests table from {row: [7 values]}; unspecified rows are all zero."""
    out = {}
    for f in schema.rows("requests", template):
        vals = given.get(f.key, [0] * 7)
        out[f.key] = {c: (v if isinstance(v, Cell) else num(v)) for c, v in zip(REQ_COLS, vals)}
    return out


def _appeals(review, direct, after) -> dict[str, dict[str, Cell]]:
    keys = [c.key for c in schema.APPEALS_COLS]
    return {g: {k: num(v) for k, v in zip(keys, vals)}
            for g, vals in (("review", review), ("litigation_direct", direct), ("litigation_after_review", after))}


def _active(template: str, given: dict[str, list]) -> dict[str, dict[str, Cell]]:
    out = {}
    for f in schema.rows("active", template):
        keys = [c.key for c in schema.cols("active", template, f.key)]
        vals = given[f.key]
        out[f.key] = {k: (v if isinstance(v, Cell) else num(v)) for k, v in zip(keys, vals)}
    return out


Z7 = [0] * 7


def xinjiang_2021() -> Tables:
    """A provincial department's 2021 figures: one request, granted, yet its （七）总计 row is all
    zeros (so the balance check fails), and its 行政许可 row prints three numbers under one header."""
    t = "2021"
    cells = {
        "active": _active(t, {"regulations": [0, 1, 5], "normative_documents": [2, 0, 62],
                              "licensing": [9], "penalties": [15], "coercion": [0], "fees": [0]}),
        "requests": _req(t, {"new_received": [0, 0, 1, 0, 0, 0, 1], "granted": [0, 0, 1, 0, 0, 0, 1]}),
        "appeals": _appeals([0] * 5, [0] * 5, [0] * 5),
    }
    return Tables(
        {"active": t, "requests": t, "appeals": t}, cells,
        row_labels={
            ("requests", "carried_over"): "二、上年转结政府信息公开申请数量",
            ("requests", "unavailable_unclear"): "3.补正后申请内容仍部明确",
            ("requests", "rejected_confirmation"): "5.要求行政机关确认或中心出具已获取信息",
            ("requests", "other_no_correction"): "1.申请人无正当理由逾期不补正、行政机关不再处理其他政府信息公开申请",
            ("requests", "carried_forward"): "四、结转下半年度继续办理",
        },
        col_labels={("appeals", "review.pending"): "尚未结果"},
        row_raw={("active", "licensing"): ["9", "342", "12"]},
        quirks=[
            "requests: （七）总计 row is all 0 although （一）予以公开 is 1 (balance fails: real data)",
            "active.licensing: three numbers 9 | 342 | 12 under one 本年处理决定数量 header; truth keeps the first",
            "labels with real typos: 上年转结, 仍部明确, 中心出具, 处理其他政府信息, 结转下半年度, 尚未结果",
        ],
    )


def binhu_2020() -> Tables:
    """A district bureau's 2020 figures (2019 template): five requests from natural persons; the
    （七）总计 row leaves the organisation columns blank; money printed with its unit."""
    t = "2019"
    blank = num(None, "")
    cells = {
        "active": _active(t, {
            "regulations": [0, 0, 0], "normative_documents": [4, 1, 1],
            "licensing": [7, 0, 174], "other_services": [20, 0, 5339],
            "penalties": [61, -3, 0], "coercion": [5, 0, 0], "fees": [0, 0],
            "procurement": [51, num(1946.689, "1946.6890万元")]}),
        "requests": _req(t, {
            "new_received": [5, 0, 0, 0, 0, 0, 5], "granted": [1, 0, 0, 0, 0, 0, 1],
            "partly_granted": [1, 0, 0, 0, 0, 0, 1], "unavailable_not_held": [3, 0, 0, 0, 0, 0, 3],
            "handled_total": [5, blank, blank, blank, blank, blank, 5]}),
        "appeals": _appeals([0, 0, 1, 0, 1], [0] * 5, [0] * 5),
    }
    return Tables({"active": t, "requests": t, "appeals": t}, cells,
                  quirks=["requests.handled_total: organisation columns blank (real data)",
                          "active.procurement.amount printed as 1946.6890万元"])


def wusu_2021() -> Tables:
    """A county bureau's 2021 figures: no requests at all; 2788 行政许可 decisions."""
    t = "2021"
    cells = {
        "active": _active(t, {"regulations": [0, 0, 0], "normative_documents": [0, 0, 0],
                              "licensing": [2788], "penalties": [0], "coercion": [0], "fees": [0]}),
        "requests": _req(t, {}),
        "appeals": _appeals([0] * 5, [0] * 5, [0] * 5),
    }
    return Tables({"active": t, "requests": t, "appeals": t}, cells,
                  row_labels={("active", "normative_documents"): "行政规范性文件"})


# Jiangsu 2022 printed its tables as images; only its narrative gives numbers.
JIANGSU_2022_NARRATIVE = {"new": 23, "carried": 3, "handled": 25, "granted": 7, "partly": 4,
                          "not_held": 10, "rejected": 4, "forward": 1, "review_upheld": 4,
                          "after_review_pending": 1}


# ---------------------------------------------------------------------------------------------
# random, plausible years


@dataclass
class Profile:
    """How busy an agency is; drives the magnitude of random figures."""

    requests: tuple[int, int]  # natural-person requests per year
    orgs: float  # chance an organisation column gets requests
    licensing: tuple[int, int]
    penalties: tuple[int, int]
    regulations: bool  # makes 规章 (provincial level only)
    appeals: float  # chance of a review / lawsuit in a year


PROFILES = {
    "province": Profile((12, 40), 0.6, (150, 700), (0, 20), True, 0.6),
    "city": Profile((3, 15), 0.35, (20, 260), (0, 8), False, 0.25),
    "county": Profile((0, 6), 0.15, (0, 120), (0, 3), False, 0.1),
}
OUTCOME_WEIGHTS = {
    "granted": 40, "partly_granted": 10, "unavailable_not_held": 25, "withheld_third_party": 3,
    "withheld_process_info": 3, "unavailable_needs_creation": 3, "unavailable_unclear": 2,
    "rejected_petition": 5, "rejected_repeat": 4, "other_misc": 5,
}


@dataclass
class Carry:
    """What one year hands the next: pending requests and documents in force."""

    forward: dict[str, int] = field(default_factory=lambda: {c: 0 for c in APPLICANTS})
    regs_in_force: int | None = None
    docs_in_force: int | None = None
    published_total: int | None = None


def gen_tables(rng: random.Random, template: str, level: str, carry: Carry,
               force_forward: int | None = None, requests_layout: str | None = None) -> Tables:
    """A year of consistent figures; updates ``carry`` in place for the next year."""
    p = PROFILES.get(level, PROFILES["county"])
    rlayout = requests_layout or template
    # requests ----------------------------------------------------------------------------
    new = {c: 0 for c in APPLICANTS}
    new["natural_person"] = rng.randint(*p.requests)
    for c in ("business", "legal_services", "research", "nonprofit", "other_org"):
        if rng.random() < p.orgs * (1.0 if c in ("business", "legal_services") else 0.3):
            new[c] = rng.randint(1, 3)
    carried = dict(carry.forward)
    forward = {c: 0 for c in APPLICANTS}
    if force_forward is not None:
        forward["natural_person"] = min(force_forward, new["natural_person"] + carried["natural_person"])
    elif new["natural_person"] > 8 and rng.random() < 0.5:
        forward["natural_person"] = rng.randint(1, 2)
    outcome_rows = [k for k in OUTCOME_WEIGHTS if k != "other_misc"] + (
        ["other_misc"] if rlayout == "2021" else ["other_total"])
    weights = [OUTCOME_WEIGHTS.get(k, OUTCOME_WEIGHTS["other_misc"]) for k in outcome_rows]
    per_row: dict[str, dict[str, int]] = {k: {c: 0 for c in APPLICANTS} for k in outcome_rows}
    for c in APPLICANTS:
        for _ in range(new[c] + carried[c] - forward[c]):
            per_row[rng.choices(outcome_rows, weights)[0]][c] += 1
    given: dict[str, list] = {}

    def row(vals: dict[str, int]) -> list:
        return [vals[c] for c in APPLICANTS] + [sum(vals.values())]

    given["new_received"] = row(new)
    given["carried_over"] = row(carried)
    for k, vals in per_row.items():
        given[k] = row(vals)
    given["handled_total"] = row({c: new[c] + carried[c] - forward[c] for c in APPLICANTS})
    given["carried_forward"] = row(forward)
    carry.forward = forward
    requests = _req(rlayout, given)

    # active ------------------------------------------------------------------------------
    if template == "2021":
        regs_if = carry.regs_in_force if carry.regs_in_force is not None else (rng.randint(3, 9) if p.regulations else 0)
        r_iss = rng.randint(0, 1) if p.regulations else 0
        r_rep = min(regs_if, rng.randint(0, 1)) if p.regulations else 0
        docs_if = carry.docs_in_force if carry.docs_in_force is not None else rng.randint(8, 60)
        d_iss, d_rep = rng.randint(0, 4), min(docs_if, rng.randint(0, 2))
        carry.regs_in_force, carry.docs_in_force = regs_if + r_iss - r_rep, docs_if + d_iss - d_rep
        fee = 0 if rng.random() < 0.85 else round(rng.uniform(1, 80), 2)
        active = _active("2021", {
            "regulations": [r_iss, r_rep, carry.regs_in_force],
            "normative_documents": [d_iss, d_rep, carry.docs_in_force],
            "licensing": [rng.randint(*p.licensing)], "penalties": [rng.randint(*p.penalties)],
            "coercion": [0], "fees": [fee]})
    else:
        made = rng.randint(0, 5)
        pub_total = (carry.published_total if carry.published_total is not None else rng.randint(5, 40)) + made
        carry.published_total = pub_total
        amount = round(rng.uniform(20, 3000), 4)
        active = _active("2019", {
            "regulations": [0, 0, 0] if not p.regulations else [rng.randint(0, 1), 0, rng.randint(3, 9)],
            "normative_documents": [made, made, pub_total],
            "licensing": [rng.randint(3, 15), rng.choice([0, 0, 1, -1]), rng.randint(*p.licensing)],
            "other_services": [rng.randint(8, 30), rng.choice([0, 0, 2, -1]), rng.randint(50, 3000)],
            "penalties": [rng.randint(10, 70), rng.choice([0, -2, -3, 1]), rng.randint(*p.penalties)],
            "coercion": [rng.randint(0, 6), 0, 0],
            "fees": [0, 0],
            "procurement": [rng.randint(0, 60), amount]})

    # appeals -----------------------------------------------------------------------------
    review = [0, 0, 0, 0]
    after = [0, 0, 0, 0]
    if rng.random() < p.appeals:
        review[rng.choice([0, 0, 0, 2, 3])] += rng.randint(1, 3)
        if rng.random() < 0.4:
            after[rng.choice([0, 3])] += 1
    appeals = _appeals(review + [sum(review)], [0] * 5, after + [sum(after)])
    layout = {"active": template, "requests": rlayout, "appeals": template}
    return Tables(layout, {"active": active, "requests": requests, "appeals": appeals})


def requests_summary(tables: Tables) -> dict[str, int]:
    """Totals for narrative sentences (from the total column)."""
    req = tables.cells["requests"]

    def tot(row: str) -> int:
        cell = req.get(row, {}).get("total")
        return int(cell.value or 0) if cell else 0

    withheld = sum(tot(k) for k in req if k.startswith("withheld_"))
    unavailable = sum(tot(k) for k in req if k.startswith("unavailable_"))
    rejected = sum(tot(k) for k in req if k.startswith("rejected_"))
    other = sum(tot(k) for k in req if k.startswith("other_"))
    app = tables.cells["appeals"]
    return {"new": tot("new_received"), "carried": tot("carried_over"), "granted": tot("granted"),
            "partly": tot("partly_granted"), "withheld": withheld, "unavailable": unavailable,
            "rejected": rejected, "other": other, "forward": tot("carried_forward"),
            "handled": tot("new_received") + tot("carried_over") - tot("carried_forward"),
            "reviews": int(app["review"]["total"].value or 0),
            "lawsuits": int((app["litigation_direct"]["total"].value or 0)
                            + (app["litigation_after_review"]["total"].value or 0))}
