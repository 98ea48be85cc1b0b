"""A class in Chromium: a student enters a join code, runs, sees the result; the teacher's page,
open all along, shows that run as it happens (it polls /api/class; nothing is reloaded)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sandbox import reaper
from server.classroom import Store
from server.process import ServerProcess


@pytest.fixture(scope="module")
def class_server(engine_ready, child_session, tmp_path_factory):
    data = tmp_path_factory.mktemp("classroom")
    codes = Store(data).create("demo", ["ada", "bob"])
    srv = ServerProcess(
        "--timeout", "3", "--class", "demo", env={"SANDBOX_DATA": str(data)}, session=child_session()
    ).start()
    yield srv, codes
    code = srv.stop()
    assert code == 0, srv.log()[-2000:]
    assert reaper.leftovers(session=srv.session) == []
    assert all(secret not in srv.log() for secret in codes.values())  # never logged


def test_a_student_joins_runs_and_the_teacher_sees_the_run_live(class_server, open_page):
    srv, codes = class_server
    teacher = open_page(srv.url + "/teacher.html")
    teacher.fill("#join-code", codes["teacher"])
    teacher.click("#join button")
    ada_row = teacher.locator('tr[data-student="ada"]')
    expect(ada_row.locator(".status")).to_have_text("no run yet")

    page = open_page(srv.url)
    expect(page.locator("#join")).to_be_visible()
    page.fill("#join-code", "wrong-wrong-wrong-wrong")
    page.click("#join-button")
    expect(page.locator("#join-status")).to_contain_text("not one of this class's codes")
    page.fill("#join-code", codes["ada"])
    page.click("#join-button")
    expect(page.locator("#joined")).to_have_text("Joined class demo as ada.")
    expect(page.locator("#join")).to_be_hidden()

    page.set_code("print(6 * 7)")
    _sent, answer = page.run_and_answer()
    assert answer["output"] == "42\n", answer
    expect(page.locator("#badge")).to_have_text("OK")
    expect(page.locator("#stdout")).to_have_text("42\n")

    expect(ada_row.locator(".status")).to_have_text("ok", timeout=10_000)
    expect(ada_row.locator("td").first).to_have_text("1")
    expect(teacher.locator('tr[data-student="bob"] .status')).to_have_text("no run yet")
    expect(teacher.locator("#totals")).to_contain_text("1 ok")

    # Kept for this tab's session, so that the next run is not asked for it again.
    assert page.evaluate("sessionStorage.getItem('safe-python-join-code')") == codes["ada"]
