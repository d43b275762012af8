"""The workbench in a real browser (Playwright driving Debian's chromium), issue 18 §5.

One server and one browser for the module.  The flow: log in; read the overview; filter the
findings; open a case, record a recovery and close it, then see the indicator change; edit a
deviation text; submit and sign off; generate and download the report.  A screenshot of each
main page goes to ``tests/artifacts/screenshots`` (or ``$YIBAO_SCREENSHOTS``).
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from web.pg import free_port
from web.webapp import PASSWORD, close_web, make_web

pytestmark = pytest.mark.xdist_group("web")
SHOTS = Path(
    os.environ.get("YIBAO_SCREENSHOTS", Path(__file__).parents[1] / "artifacts" / "screenshots")
)
RECOVERED = "8,765.43"


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "未找到 chromium:请 apt-get install chromium(make sysdeps 会安装)"
    return path


@pytest.fixture(scope="module")
def server(demo_copy) -> Iterator[str]:
    import uvicorn

    web = make_web(demo_copy)
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(web.app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "工作台服务未能启动"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    t.join(timeout=30)
    close_web(web)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        yield b
        b.close()


def session(browser, base: str, user: str):  # noqa: ANN001, ANN201
    ctx = browser.new_context(
        base_url=base,
        locale="zh-CN",
        viewport={"width": 1360, "height": 900},
        accept_downloads=True,
    )
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/")
    assert "/login" in page.url  # not signed in: the login page
    page.fill("input[name=user_name]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    page.errors = errors  # type: ignore[attr-defined]
    return page


def shot(page, name: str) -> None:  # noqa: ANN001
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def wait_for(page, url: str, text: str, timeout: float = 120) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page.goto(url)
        if text in page.content():
            return
        time.sleep(1)
    raise AssertionError(f"{url} 在 {timeout} 秒内没有出现 {text!r}")


def test_the_bureau_flow_in_a_browser(server, browser):
    from playwright.sync_api import expect

    page = session(browser, server, "inspector0")
    # Overview: figures and two charts drawn by the vendored ECharts (canvas, no CDN).
    assert page.locator(".kpi").count() >= 4
    expect(page.locator(".chart canvas")).to_have_count(2)  # drawn, no eval (CSP holds)
    assert "可支付月数" in page.content()
    shot(page, "01-总览")

    # Findings: filter by rule, the count changes.
    page.goto("/findings?year=2021")
    total = int(page.locator("#n-findings").inner_text())
    page.select_option("select[name=rule]", "split_admission")
    page.click("form.filters button[type=submit]")
    expect(page.locator("#n-findings")).not_to_have_text(str(total))
    filtered = int(page.locator("#n-findings").inner_text())
    assert 0 < filtered < total and "rule=split_admission" in page.url
    shot(page, "02-监管线索")
    page.goto("/hospitals?year=2021")
    expect(page.locator(".chart canvas")).to_have_count(1)
    shot(page, "03-医院对比")

    # A case from the first split-admission finding: inspection, recovery, close.
    page.goto("/findings?year=2021&rule=split_admission")
    page.locator("input[name=sel]").first.check()
    page.click("text=从所选线索立案")
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    page.fill("textarea[name=notes]", "调阅住院病历,两次住院间隔 12 天,诊断相同")
    page.click("text=记录检查")
    page.fill("textarea[name=reason]", "分解住院属实,违规结算两次")
    page.fill("input[name=recovered]", RECOVERED)
    page.fill("input[name=penalty]", "1000")
    page.click("text=记录结论")
    assert "属实" in page.content() and "8,765.43" in page.content()
    page.click("button:has-text('结案')")
    page.wait_for_selector("#case-status:has-text('已结案')")
    shot(page, "04-稽核案件")
    page.goto("/cases")
    shot(page, "05-案件列表")
    # The indicator comes from the case record once the job has run.
    wait_for(page, "/indicators?year=2021", "8765.43")
    row = page.locator("#ind-recovered_amount").inner_text()
    assert "8765.43" in row and "430921: 8765.43" in row
    shot(page, "06-绩效指标")
    assert not page.errors, page.errors

    # The evaluator edits a deviation text and submits; the reviewer signs off.
    ev = session(browser, server, "evaluator0")
    ev.goto("/evaluation?year=2021&framework=self-2020")
    line = ev.locator("#line-reserve_months")
    line.locator("summary").click()
    text = "结余可支付月数偏低:当年住院费用增长快于筹资增长(工作台录入)"
    line.locator("textarea[name=cause]").fill(text)
    line.locator("button:has-text('保存并重新计算')").click()
    wait_for(ev, "/evaluation?year=2021&framework=self-2020", f'<span class="dev-text">{text}')
    ev.click("button:has-text('提交复核')")
    ev.wait_for_selector("#eval-status:has-text('待复核')")
    rv = session(browser, server, "reviewer0")
    rv.goto("/evaluation?year=2021&framework=self-2020")
    rv.click("button:has-text('签核并锁定')")
    rv.wait_for_selector("#eval-status:has-text('已签核')")
    assert rv.locator("button:has-text('保存并重新计算')").count() == 0  # locked
    shot(rv, "07-绩效评价")

    # Reports: generate (docx, xlsx, html, pdf) and download the Word file.
    rv.goto("/reports")
    rv.click("button:has-text('生成报告')")
    rv.wait_for_url(re.compile(r"/jobs/\d+$"))
    rv.wait_for_selector("#job-status:has-text('完成')", timeout=240_000)
    links = rv.locator("a.dl")
    names = [links.nth(i).inner_text() for i in range(links.count())]
    assert any(n.endswith(".docx") for n in names) and any(n.endswith(".pdf") for n in names)
    assert any(n.endswith(".html") for n in names) and any(n.endswith(".xlsx") for n in names)
    with rv.expect_download() as dl:
        rv.locator("a.dl", has_text=".docx").first.click()
    path = dl.value.path()
    assert path and Path(path).read_bytes()[:2] == b"PK"
    import docx

    body = "\n".join(p.text for p in docx.Document(path).paragraphs)
    assert "结余可支付月数偏低" in body or text[:10] in body or "绩效" in body
    rv.goto("/reports")
    shot(rv, "08-报告")

    admin = session(browser, server, "admin0")
    for url, name in (
        ("/imports", "09-数据导入"),
        ("/users", "10-用户管理"),
        ("/audit", "11-审计日志"),
    ):
        admin.goto(url)
        shot(admin, name)
    assert "case.close" in admin.content() and "evaluation.已签核" in admin.content()
    for p in (page, ev, rv, admin):
        assert not p.errors, p.errors
