"""The first-time user's path through the console, in a real browser against a live server with 800 groups:
log in, find the urgent gas-leak ticket, accept and resolve it, send a safety notice to one grid and then to
everyone (progress to 100%), read the month's figures; and a viewer cannot act."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from bot.demo import group_id
from bot.simulator import bridge_request
from tests.browser.conftest import ARTIFACTS, GROUPS, Live, post

pytestmark = pytest.mark.browser

GAS = "楼道里闻到很浓的煤气味"


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def login(page: Any, live: Live, token: str) -> None:
    page.goto(live.url + "/console/")
    assert page.url.endswith("/console/login")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(live.url + "/console/")


def wait_for_ticket(live: Live, text: str) -> int:
    headers = {"Authorization": f"Bearer {live.admin_token}"}
    for _ in range(200):
        items = httpx.get(live.url + "/api/tickets", params={"q": text}, headers=headers).json()["items"]
        if items:
            return int(items[0]["number"])
        import time

        time.sleep(0.05)
    raise AssertionError("the report did not become a ticket")


def test_admin_handles_the_gas_leak_and_broadcasts(live: Live, browser: Any) -> None:
    post(
        live,
        bridge_request(
            live.settings, group_id=group_id(3), sender="wxid_res1", text="3栋门口垃圾两天没人清运了"
        ),
    )
    post(live, bridge_request(live.settings, group_id=group_id(7), sender="wxid_res2", text=GAS))
    number = wait_for_ticket(live, "煤气")
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")  # a phone
    page = context.new_page()
    login(page, live, live.admin_token)
    shot(page, "01-dashboard")

    page.click("text=工单")
    first = page.locator("#ticket-list tbody tr").first
    assert "紧急" in first.inner_text() and f"#{number}" in first.inner_text()
    shot(page, "02-tickets")
    first.locator("a").first.click()
    page.wait_for_url(f"**/console/tickets/{number}")
    page.click("button:has-text('接单')")
    page.wait_for_selector(".flash")
    assert page.inner_text("#ticket-status") == "已签收"
    page.fill("#note-resolve", "燃气公司已关阀检修，已开窗通风")
    page.click("button:has-text('办结')")
    page.wait_for_selector(".flash")
    assert page.inner_text("#ticket-status") == "已办结"
    shot(page, "03-ticket-resolved")

    page.click("header nav >> text=通知")
    page.fill("#title", "燃气安全提醒")
    page.fill("#body", "{building}的居民：闻到燃气味请立即开窗、关阀，到室外拨打抢修电话。")
    page.select_option("#grids", index=0)  # picking a grid switches the target to 按网格 by itself
    assert page.is_checked("input[name=kind][value=grids]")
    page.click("button:has-text('预览')")
    page.wait_for_selector("#preview-count")
    per_grid = int(page.inner_text("#preview-count"))
    assert 0 < per_grid < GROUPS
    shot(page, "04-notice-preview")
    page.click("#send")
    page.wait_for_selector(f"#progress[data-sent='{per_grid}']", timeout=60_000)
    assert f"已送达 {per_grid}/{per_grid}" in page.inner_text("#progress-text")

    page.click("header nav >> text=通知")
    page.fill("#title", "冬季燃气安全")
    page.fill("#body", "各位居民：冬季用气高峰，请定期检查燃气软管。")
    page.check("input[name=kind][value=all]")
    page.click("#send")
    page.wait_for_selector(f"#progress[data-sent='{GROUPS}']", timeout=120_000)
    assert "100%" in page.inner_text("#progress")
    assert f"已送达 {GROUPS}/{GROUPS}" in page.inner_text("#progress-text")
    shot(page, "05-notice-all-delivered")

    page.click("header nav >> text=概览")
    counters = page.inner_text("#seed-counters")
    assert re.search(r"共接受群众咨询、求助服务\d+次", counters) and "化解各类矛盾纠纷" in counters
    assert page.locator("svg.chart rect[data-category='hazard']").count() >= 1
    shot(page, "06-month-figures")

    page.click("header nav >> text=楼栋群")
    assert f"已登记 {GROUPS} 个" in page.inner_text("h1")
    context.close()


def test_viewer_cannot_act(live: Live, browser: Any) -> None:
    post(
        live,
        bridge_request(
            live.settings, group_id=group_id(11), sender="wxid_res3", text="5栋楼道里有人拉飞线给电动车充电"
        ),
    )
    number = wait_for_ticket(live, "飞线")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    login(page, live, live.viewer_token)
    page.goto(f"{live.url}/console/tickets/{number}")
    assert page.locator("button:has-text('接单')").count() == 0
    assert "只读账号" in page.inner_text("main")
    shot(page, "07-viewer-ticket")
    csrf = page.eval_on_selector("input[name=csrf_token]", "e => e.value")
    status = page.evaluate(
        """async ([n, csrf]) => {
            const body = new URLSearchParams({action: 'accept', csrf_token: csrf});
            const r = await fetch(`/console/tickets/${n}/act`, {method: 'POST', body});
            const api = await fetch(`/api/tickets/${n}/transitions`, {method: 'POST',
                headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf}, body: JSON.stringify({action: 'accept'})});
            return [r.status, api.status];
        }""",
        [number, csrf],
    )
    assert status == [403, 403]
    page.goto(f"{live.url}/console/tickets/{number}")
    assert page.inner_text("#ticket-status") != "已签收"
    context.close()
