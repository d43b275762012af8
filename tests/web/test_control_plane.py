"""The control plane on SQLite and PostgreSQL: migrations, users, the append-only audit log,
cases and the indicators they feed (issue 18)."""

from __future__ import annotations

import hashlib
import secrets
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from yibao.cli import app
from yibao.control import cases as cs
from yibao.control.audit import audit, export_csv
from yibao.control.db import ControlPlane, open_control
from yibao.control.models import AuditEntry, Case
from yibao.control.models import User as UserRow
from yibao.control.users import (
    AccessDenied,
    add_user,
    check_login,
    list_users,
    remove_user,
    role_key,
)
from yibao.indicators.compute import compute
from yibao.pipeline.context import build_context
from yibao.pipeline.runs import run_step

pytestmark = pytest.mark.xdist_group("web")
WHO = SimpleNamespace(name="li", role="稽核")


def test_migrations_build_the_schema_once(control_url):
    ControlPlane(control_url)
    cp = ControlPlane(control_url)  # a second open upgrades nothing and fails nothing
    with cp.engine.connect() as con:
        assert con.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
    with cp.session() as s:
        assert s.scalar(select(AuditEntry).limit(1)) is None


def test_audit_log_cannot_be_changed_or_deleted(cp):
    with cp.session() as s:
        audit(s, "wang", "管理员", "user.add", "user", "li", before=None, after={"role": "x"})
    with pytest.raises(DBAPIError, match="审计日志只能追加"), cp.session() as s:
        s.scalar(select(AuditEntry)).after = '{"role": "admin"}'
    with pytest.raises(DBAPIError, match="审计日志只能追加"), cp.session() as s:
        s.delete(s.scalar(select(AuditEntry)))
    for sql in ("UPDATE cp_audit_log SET user_name = 'x'", "DELETE FROM cp_audit_log"):
        with pytest.raises(DBAPIError, match="审计日志只能追加"), cp.engine.begin() as con:
            con.execute(text(sql))
    if cp.dialect == "postgresql":
        with pytest.raises(DBAPIError, match="审计日志只能追加"), cp.engine.begin() as con:
            con.execute(text("TRUNCATE cp_audit_log"))
    with cp.session() as s:
        rows = list(s.scalars(select(AuditEntry)))
        assert [(r.user_name, r.after) for r in rows] == [("wang", '{"role": "x"}')]
        csv = export_csv(s)
    assert csv.startswith("\ufeff序号,时间,用户") and "user.add" in csv


def test_passwords_are_argon2_and_old_scrypt_hashes_still_verify(cp):
    add_user(cp, "zhang", "评价", "secret-pass-1")
    with cp.session() as s:
        h = s.scalar(select(UserRow.password_hash).where(UserRow.name == "zhang"))
    assert h.startswith("$argon2id$") and "secret-pass-1" not in h
    assert check_login(cp, "zhang", "secret-pass-1").key == "evaluator"
    assert check_login(cp, "zhang", "secret-pass-2") is None
    assert check_login(cp, "nobody", "secret-pass-1") is None
    # A hash written by the CLI before the control plane existed (scrypt, issue 11).
    salt = secrets.token_bytes(16)
    dig = hashlib.scrypt(b"old-secret-9", salt=salt, n=2**14, r=8, p=1, dklen=32)
    with cp.session() as s:
        s.add(
            UserRow(
                name="old",
                role="inspector",
                region_scope="",
                password_hash=f"scrypt$16384$8$1${salt.hex()}${dig.hex()}",
            )
        )
    assert check_login(cp, "old", "wrong-secret") is None
    assert check_login(cp, "old", "old-secret-9").role == "稽核"
    with cp.session() as s:
        assert s.scalar(select(UserRow.password_hash).where(UserRow.name == "old")).startswith(
            "$argon2id$"
        )  # rewritten on the successful login


def test_roles_scopes_and_removal(cp):
    assert [role_key(r) for r in ("管理员", "审计", "科员", "稽核", "viewer", "复核员")] == [
        "admin",
        "reviewer",
        "viewer",
        "inspector",
        "viewer",
        "reviewer",
    ]
    with pytest.raises(AccessDenied, match="未知的角色"):
        role_key("boss")
    with pytest.raises(AccessDenied, match="区域范围"):
        add_user(cp, "a", "viewer", "long-enough", region_scope="43092")
    add_user(cp, "a", "viewer", "long-enough", region_scope="430921")
    assert [(u.name, u.role, u.region_scope) for u in list_users(cp)] == [("a", "查看", "430921")]
    assert remove_user(cp, "a") and not remove_user(cp, "a")
    with cp.session() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["user.add", "user.remove"]


def test_cli_user_commands_write_the_control_plane_and_move_legacy_users(tmp_path, monkeypatch):
    import duckdb

    runner = CliRunner()
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    salt = secrets.token_bytes(16)
    dig = hashlib.scrypt(b"legacy-pass", salt=salt, n=2**14, r=8, p=1, dklen=32)
    con = duckdb.connect(str(ws / "workspace.duckdb"))
    con.execute("CREATE TABLE _users (user_name VARCHAR, role VARCHAR, password_hash VARCHAR)")
    con.execute(
        "INSERT INTO _users VALUES ('old', '稽核', ?)",
        [f"scrypt$16384$8$1${salt.hex()}${dig.hex()}"],
    )
    con.close()
    monkeypatch.setenv("YIBAO_PASSWORD", "long-enough")
    assert (
        runner.invoke(app, ["user", "add", "new", "--role", "reviewer", "-w", str(ws)]).exit_code
        == 0
    )
    res = runner.invoke(app, ["user", "list", "-w", str(ws)])
    assert res.output.split() == ["new", "复核", "old", "稽核"]
    assert (ws / "control.sqlite").is_file()
    cp = open_control(ws)
    assert check_login(cp, "old", "legacy-pass") is not None
    con = duckdb.connect(str(ws / "workspace.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM _users").fetchone()[0] == 0  # moved, not copied
    con.close()


def _finding(rule: str, key: str, code: str = "H1", region: str = "430921", amount="100.00"):
    return {
        "rule": rule,
        "key": key,
        "fixmedins_code": code,
        "fixmedins_name": "一院",
        "region_code": region,
        "amount": Decimal(amount),
    }


def test_case_rules(cp):
    with cp.session() as s:
        with pytest.raises(cs.CaseError, match="不同机构"):
            cs.open_case(s, WHO, 2021, [_finding("r", "1"), _finding("r", "2", code="H2")])
        k = cs.open_case(s, WHO, 2021, [_finding("r", "1")])
        with pytest.raises(cs.CaseError, match="先记录现场检查"):
            cs.record_conclusion(s, WHO, k, "属实", "x", "1", "0")
        with pytest.raises(cs.CaseError, match="先记录结论"):
            cs.close_case(s, WHO, k)
        import datetime as dt

        cs.record_inspection(s, WHO, k, dt.date(2021, 12, 1), "查病历")
        for bad, why in (("-1", "不能为负"), ("1.005", "两位小数"), ("abc", "不是数字")):
            with pytest.raises(cs.CaseError, match=why):
                cs.record_conclusion(s, WHO, k, "属实", "x", bad, "0")
        with pytest.raises(cs.CaseError, match="不属实时不能有追回"):
            cs.record_conclusion(s, WHO, k, "不属实", "x", "5", "0")
        cs.record_conclusion(s, WHO, k, "属实", "属实", "12.30", "0")
        cs.close_case(s, WHO, k)
        with pytest.raises(cs.CaseError, match="已结案"):
            cs.record_inspection(s, WHO, k, dt.date(2021, 12, 2), "再查")
        assert k.recovered_fen == 1230
        kinds = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert kinds == ["case.open", "case.inspect", "case.conclude", "case.close"]


def test_closed_cases_feed_the_case_indicators(cp, ws):
    import datetime as dt

    with cp.session() as s:
        a = cs.open_case(s, WHO, 2021, [_finding("split", "1"), _finding("split", "2")])
        b = cs.open_case(s, WHO, 2021, [_finding("bed", "3", code="H2")])
        cs.open_case(s, WHO, 2021, [_finding("bed", "4", code="H3", region="430922")])
        inspected = cs.open_case(s, WHO, 2021, [_finding("bed", "5", code="H4")])
        cs.open_case(s, WHO, 2020, [_finding("bed", "6", code="H5")])
        for k in (a, b, inspected):
            cs.record_inspection(s, WHO, k, dt.date(2021, 11, 3), "现场检查")
        cs.record_conclusion(s, WHO, a, "属实", "分解住院属实", "1,234.56", "500")
        cs.record_conclusion(s, WHO, b, "不属实", "病情需要", "0", "0")
        cs.record_conclusion(s, WHO, inspected, "属实", "未结案", "99", "1")  # not closed
        cs.close_case(s, WHO, a)
        cs.close_case(s, WHO, b)
    res = run_step(build_context(ws, 2021), cs.CaseSyncStep(cp))
    assert res.tables == {"supervise_cases": 4, "supervise_case_findings": 6}
    codes = [
        "inspections_count",
        "recovered_amount",
        "penalty_amount",
        "supervision_confirmed_rate",
    ]
    values, notes = compute(ws, 2021, codes)
    got = {(v.code, v.region_code): v.value for v in values}
    assert got[("inspections_count", None)] == 3
    assert got[("inspections_count", "430922")] == 0
    assert got[("recovered_amount", None)] == Decimal("1234.56")  # the open case's 99 not yet
    assert got[("penalty_amount", None)] == Decimal("500.00")
    assert got[("supervision_confirmed_rate", None)] == Decimal("66.67")  # 2 of 3 findings
    with cp.session() as s:  # a re-sync replaces, never appends
        s.get(Case, b.id).region_code = "430922"
    run_step(build_context(ws, 2021), cs.CaseSyncStep(cp))
    assert ws.con.execute("SELECT count(*) FROM supervise_cases").fetchone()[0] == 5
    values, _ = compute(ws, 2021, ["inspections_count"])
    assert {v.region_code: v.value for v in values} == {"430921": 2, "430922": 1, None: 3}
