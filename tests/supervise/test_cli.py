"""`yibao supervise` end to end: exit codes, xlsx work list (Chinese headers, masking), roles."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from yibao.cli import app

YEAR = 2021
runner = CliRunner()


@pytest.fixture
def ws_path(data, make_ws):
    for h in ("H1", "H2"):
        data.hospital(h)
    p = data.person("P1", psn_name="王小明")
    data.stay("S1", "P1", "H1", date(YEAR, 3, 1), date(YEAR, 3, 10))
    data.stay("S2", "P1", "H2", date(YEAR, 3, 5), date(YEAR, 3, 8), dx="J18.900")
    data.person("P2", death_date=date(YEAR - 1, 5, 1))
    data.enrol("P2")
    twin = data.person("P3")
    data.person("P4", certno=twin["certno"])
    data.enrol("P3")
    data.enrol("P4", region="430902")  # a duplicate keyed by the ID number itself
    ws = make_ws(data)
    path = ws.path
    ws.close()
    return path, p["certno"], twin["certno"]


def _sheet(path, name):
    wb = load_workbook(path, read_only=True)
    return [list(r) for r in wb[name].iter_rows(values_only=True)]


def test_work_list_has_chinese_headers_and_masks_personal_data(ws_path, monkeypatch):
    monkeypatch.delenv("YIBAO_ROLE", raising=False)
    path, certno, twin = ws_path
    res = runner.invoke(app, ["supervise", str(path), "--year", str(YEAR)])
    assert res.exit_code == 0, res.output
    assert "住院时间重叠" in res.output and "payment_mismatch" in res.output  # skipped, listed
    xlsx = path / "reports" / f"监管筛查工作清单-{YEAR}.xlsx"
    rows = _sheet(xlsx, "工作清单")
    assert rows[0][:8] == ["排名", "规则代码", "规则名称", "核查对象", "结算ID", "人员编号",
                           "证件号码", "姓名"]  # fmt: skip
    assert "涉及金额(元)" in rows[0] and "证据" in rows[0] and "法律依据" in rows[0]
    top = dict(zip(rows[0], rows[1], strict=True))
    assert top["规则代码"] == "overlapping_stay" and top["结算ID"] == "S2"
    assert top["证件号码"] == certno[:6] + "********" + certno[-4:]
    assert top["姓名"] == "王*明" and top["主诊断编码"] == "***"
    assert top["定点医药机构名称"] == "H2医院" and top["医院等级"] == "二级"
    text = repr(rows)
    assert certno not in text and "王小明" not in text and "J18.900" not in text
    assert twin not in text and twin[:6] + "********" + twin[-4:] in text
    hosp = _sheet(xlsx, "医院汇总")
    assert hosp[0][:5] == ["定点医药机构编号", "定点医药机构名称", "医院等级", "线索数",
                           "涉及金额(元)"]  # fmt: skip
    assert hosp[1][0] == "H2" and hosp[1][3] == 1
    rules = _sheet(xlsx, "规则说明")
    assert rules[0][:3] == ["规则代码", "规则名称", "法律依据"]
    skipped = [r for r in rules if r and r[0] == "payment_mismatch"][0]
    assert "yibao settle" in skipped[-1]


def _add_user(path, name, role, monkeypatch, password="pass-word-1"):
    monkeypatch.setenv("YIBAO_PASSWORD", password)
    res = runner.invoke(app, ["user", "add", name, "--role", role, "--workspace", str(path)])
    assert res.exit_code == 0, res.output


def test_unmask_needs_a_stored_user_whose_role_may_unmask(ws_path, monkeypatch):
    """Issue 11 §6: the role comes from the user store, not from --role or YIBAO_ROLE; the
    unmasked list has its own file name and every unmasking is audited."""
    monkeypatch.delenv("YIBAO_USER", raising=False)
    monkeypatch.delenv("YIBAO_PASSWORD", raising=False)
    path, certno, twin = ws_path
    sup = ["supervise", str(path), "--year", str(YEAR), "--unmask"]
    res = runner.invoke(app, sup)
    assert res.exit_code == 2 and "yibao user add" in res.output
    assert not (path / "reports").exists()  # refused before anything ran
    # The old ways no longer grant anything by themselves.
    assert runner.invoke(app, [*sup, "--role", "稽核"]).exit_code == 2
    monkeypatch.setenv("YIBAO_ROLE", "inspector")
    assert runner.invoke(app, sup).exit_code == 2
    assert not (path / "reports").exists()
    _add_user(path, "zhang", "科员", monkeypatch)
    _add_user(path, "li", "稽核", monkeypatch, password="li-secret-9")
    monkeypatch.setenv("YIBAO_PASSWORD", "pass-word-1")
    res = runner.invoke(app, [*sup, "--user", "zhang"])
    assert res.exit_code == 2 and "无权" in res.output  # a 科员 may not unmask
    monkeypatch.setenv("YIBAO_PASSWORD", "wrong-password")
    res = runner.invoke(app, [*sup, "--user", "li"])
    assert res.exit_code == 2 and "密码不正确" in res.output
    monkeypatch.setenv("YIBAO_PASSWORD", "li-secret-9")
    assert runner.invoke(app, ["supervise", str(path), "--year", str(YEAR)]).exit_code == 0
    monkeypatch.setenv("YIBAO_USER", "li")
    res = runner.invoke(app, sup)
    assert res.exit_code == 0, res.output
    unmasked = path / "reports" / f"监管筛查工作清单-{YEAR}-未脱敏.xlsx"
    masked = path / "reports" / f"监管筛查工作清单-{YEAR}.xlsx"
    assert certno in repr(_sheet(unmasked, "工作清单"))
    assert certno not in repr(_sheet(masked, "工作清单"))  # not overwritten
    from sqlalchemy import select

    from yibao.control.db import open_control
    from yibao.control.models import User
    from yibao.control.users import unmask_audit

    audit = [(a[0], a[1], a[2], a[4]) for a in unmask_audit(path)]
    with open_control(path).session() as s:
        hashes = list(s.scalars(select(User.password_hash)))
    assert audit == [("li", "稽核", "supervise --unmask", str(unmasked))]
    assert hashes and all("li-secret-9" not in h and h.startswith("$argon2id$") for h in hashes)


def test_bad_requests_exit_2(ws_path, tmp_path):
    path, *_ = ws_path
    res = runner.invoke(app, ["supervise", str(path), "--year", "2021", "--rules", "nope"])
    assert res.exit_code == 2 and "未知的规则" in res.output
    res = runner.invoke(app, ["supervise", str(tmp_path / "none"), "--year", "2021"])
    assert res.exit_code == 2 and "不是 yibao 工作区" in res.output
    res = runner.invoke(app, ["supervise", str(path), "--year", "2021", "--engine", "spark"])
    assert res.exit_code == 2


def test_only_the_chosen_rules_run(ws_path):
    path, *_ = ws_path
    res = runner.invoke(
        app, ["supervise", str(path), "--year", "2021", "--rules", "deceased_enrolled"]
    )
    assert res.exit_code == 0, res.output
    rows = _sheet(path / "reports" / f"监管筛查工作清单-{YEAR}.xlsx", "工作清单")
    assert {r[1] for r in rows[1:]} == {"deceased_enrolled"}


def test_values_from_exports_are_never_formulas_in_the_work_list(data, make_ws, monkeypatch):
    """Issue 11 §4: ``=2+5`` as a hospital name is text in 工作清单 and 医院汇总."""
    monkeypatch.delenv("YIBAO_ROLE", raising=False)
    data.hospital("H1", fixmedins_name="=2+5")
    data.hospital("H2", fixmedins_name="@SUM(A1)")
    data.person("P1")
    data.stay("S1", "P1", "H1", date(YEAR, 3, 1), date(YEAR, 3, 10))
    data.stay("S2", "P1", "H2", date(YEAR, 3, 5), date(YEAR, 3, 8), dx="J18.900")
    ws = make_ws(data)
    path = ws.path
    ws.close()
    res = runner.invoke(app, ["supervise", str(path), "--year", str(YEAR)])
    assert res.exit_code == 0, res.output
    xlsx = path / "reports" / f"监管筛查工作清单-{YEAR}.xlsx"
    wb = load_workbook(xlsx)
    seen = set()
    for sheet in ("工作清单", "医院汇总"):
        for row in wb[sheet].iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet, cell.coordinate, cell.value)
                if cell.value in ("=2+5", "@SUM(A1)"):
                    assert cell.quotePrefix
                    seen.add((sheet, cell.value))
    assert {s for s, _ in seen} == {"工作清单", "医院汇总"}
    import zipfile

    with zipfile.ZipFile(xlsx) as z:
        assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.endswith(".xml"))
