"""extract.checks on hand-made canonical tables: passes, real arithmetic errors, blanks, absences."""
from __future__ import annotations

import copy

from extract import schema
from extract.checks import run_checks
from extract.schema import FAIL, NOT_ASSESSABLE, PASS

COLS = [c.key for c in schema.REQUESTS_COLS]


def requests_table(template: str, rows: dict[str, list]) -> dict:
    """Every row of the era, zeros unless given (7 values: six applicant columns + total)."""
    return {f.key: dict(zip(COLS, rows.get(f.key, [0] * 7))) for f in schema.rows("requests", template)}


def appeals_table(review, direct, after) -> dict:
    keys = [c.key for c in schema.APPEALS_COLS]
    return {"review": dict(zip(keys, review)), "litigation_direct": dict(zip(keys, direct)),
            "litigation_after_review": dict(zip(keys, after))}


def consistent_2021() -> dict:
    return {
        "active": {"regulations": {"issued": 1, "repealed": 0, "in_force": 6},
                   "normative_documents": {"issued": 2, "repealed": 1, "in_force": 30},
                   "licensing": {"decisions": 12}, "penalties": {"decisions": 0}, "coercion": {"decisions": 0},
                   "fees": {"amount": 0}},
        "requests": requests_table("2021", {
            "new_received": [3, 1, 0, 0, 0, 0, 4], "carried_over": [1, 0, 0, 0, 0, 0, 1],
            "granted": [2, 1, 0, 0, 0, 0, 3], "unavailable_not_held": [1, 0, 0, 0, 0, 0, 1],
            "handled_total": [3, 1, 0, 0, 0, 0, 4], "carried_forward": [1, 0, 0, 0, 0, 0, 1]}),
        "appeals": appeals_table([1, 0, 0, 0, 1], [0] * 5, [0, 0, 0, 1, 1]),
    }


def by(checks, rule, scope=None):
    out = [c for c in checks if c.rule == rule and (scope is None or c.scope == scope)]
    return out[0] if scope is not None else out


def test_consistent_report_passes_everything():
    checks = run_checks(consistent_2021(), "2021")
    assert checks and all(c.outcome == PASS for c in checks), [c for c in checks if c.outcome != PASS]
    assert len(by(checks, "requests.balance")) == 7
    assert len(by(checks, "requests.handled_sum")) == 7
    assert len(by(checks, "requests.row_sum")) == 25
    assert len(by(checks, "appeals.sum")) == 3
    c = by(checks, "requests.balance", "total")
    assert c.detail == "4 + 1 = 4 + 1"
    assert c.compared == {"new_received": 4, "carried_over": 1, "handled_total": 4, "carried_forward": 1}


def test_real_arithmetic_error_fails_and_is_not_repaired():
    # Xinjiang 2021 as printed: one granted request, but the （七）总计 row is all zero
    t = consistent_2021()
    t["requests"] = requests_table("2021", {"new_received": [0, 0, 1, 0, 0, 0, 1], "granted": [0, 0, 1, 0, 0, 0, 1]})
    before = copy.deepcopy(t)
    checks = run_checks(t, "2021")
    assert t == before  # never repaired
    c = by(checks, "requests.balance", "total")
    assert (c.outcome, c.detail) == (FAIL, "1 + 0 != 0 + 0")
    assert by(checks, "requests.balance", "research").outcome == FAIL
    assert by(checks, "requests.balance", "natural_person").outcome == PASS
    h = by(checks, "requests.handled_sum", "total")
    assert h.outcome == FAIL and "!=" in h.detail
    assert h.compared["granted"] == 1 and h.compared["handled_total"] == 0


def test_row_sum_and_appeals_sum_fail_on_wrong_totals():
    t = consistent_2021()
    t["requests"]["granted"]["total"] = 4  # 2 + 1 = 3 printed as 4
    t["appeals"]["review"]["total"] = 2
    checks = run_checks(t, "2021")
    c = by(checks, "requests.row_sum", "granted")
    assert c.outcome == FAIL and c.detail == "2 + 1 + 0 + 0 + 0 + 0 != 4"
    a = by(checks, "appeals.sum", "review")
    assert (a.outcome, a.detail) == (FAIL, "1 + 0 + 0 + 0 != 2")
    assert by(checks, "appeals.sum", "litigation_after_review").outcome == PASS


def test_blank_treated_as_zero_is_said():
    # Binhu 2020: the （七）总计 row leaves the organisation columns blank
    t = {"requests": requests_table("2019", {
        "new_received": [5, 0, 0, 0, 0, 0, 5], "granted": [1, 0, 0, 0, 0, 0, 1],
        "partly_granted": [1, 0, 0, 0, 0, 0, 1], "unavailable_not_held": [3, 0, 0, 0, 0, 0, 3],
        "handled_total": [5, None, None, None, None, None, 5]}),
        "appeals": appeals_table([0, 0, 1, 0, 1], [0] * 5, [0] * 5)}
    checks = run_checks(t, "2019")
    c = by(checks, "requests.balance", "business")
    assert c.outcome == PASS
    assert c.detail == "0 + 0 = 0 + 0 (blank treated as 0: handled_total)"
    assert c.compared["handled_total"] is None  # the source value is kept as printed
    r = by(checks, "requests.row_sum", "handled_total")
    assert r.outcome == PASS and "blank treated as 0" in r.detail
    # the 2019 single （六） row is part of the handled sum
    h = by(checks, "requests.handled_sum", "natural_person")
    assert h.outcome == PASS and "other_total" in h.compared


def test_missing_rows_are_not_assessable():
    t = consistent_2021()
    del t["requests"]["carried_forward"]
    del t["appeals"]["litigation_direct"]
    checks = run_checks(t, "2021")
    c = by(checks, "requests.balance", "total")
    assert c.outcome == NOT_ASSESSABLE and "carried_forward" in c.detail
    assert by(checks, "requests.row_sum", "carried_forward").outcome == NOT_ASSESSABLE
    assert by(checks, "appeals.sum", "litigation_direct").outcome == NOT_ASSESSABLE
    assert by(checks, "requests.handled_sum", "total").outcome == PASS


def test_absent_tables_and_pre2019():
    assert run_checks({}, "pre2019") == []
    checks = run_checks({}, None)
    assert {c.rule for c in checks} == {"requests.balance", "requests.handled_sum", "requests.row_sum", "appeals.sum"}
    assert all(c.outcome == NOT_ASSESSABLE for c in checks)


def test_continuity_with_previous_year():
    prev = consistent_2021()
    cur = consistent_2021()
    cur["active"]["regulations"] = {"issued": 1, "repealed": 1, "in_force": 6}  # 6 + 1 - 1 = 6
    cur["active"]["normative_documents"] = {"issued": 0, "repealed": 0, "in_force": 31}  # 30 + 0 - 0 != 31
    checks = run_checks(cur, "2021", previous_tables=prev)
    rc = by(checks, "requests.continuity", "total")
    assert (rc.outcome, rc.detail) == (PASS, "1 = 1")
    assert by(checks, "active.continuity", "regulations").outcome == PASS
    n = by(checks, "active.continuity", "normative_documents")
    assert (n.outcome, n.detail) == (FAIL, "31 != 30 + 0 - 0")
    cur["requests"]["carried_over"]["total"] = 2
    rc = by(run_checks(cur, "2021", previous_tables=prev), "requests.continuity", "total")
    assert (rc.outcome, rc.detail) == (FAIL, "1 != 2")
    # a 2019-template previous year has no in_force column
    prev19 = {"active": {"regulations": {"new_made": 0, "new_published": 0, "total_published": 3}}}
    a = by(run_checks(cur, "2021", previous_tables=prev19), "active.continuity", "regulations")
    assert a.outcome == NOT_ASSESSABLE
    assert by(run_checks(cur, "2021", previous_tables=prev19), "requests.continuity")[0].outcome == NOT_ASSESSABLE


def test_rules_are_the_schema_rules():
    checks = run_checks(consistent_2021(), "2021", previous_tables=consistent_2021())
    assert {c.rule for c in checks} == set(schema.CHECKS)
    assert {c.outcome for c in checks} <= set(schema.OUTCOMES)
