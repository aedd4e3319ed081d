"""axe-core on every page of tests/a11y_pages.py, as each role that opens it: 0 violations
at every impact level. axe (tests/fixtures/axe, vendored) is injected into the page, which
needs the context to bypass the page's CSP (no inline or foreign scripts otherwise)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.a11y_pages import PASSWORD, ROLES, build_world, pages_for
from tests.browser import chromium, live_server

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "fixtures" / "axe" / "axe.min.js"
# Every rule axe runs by default (WCAG 2.0-2.2 A/AA and its best practices), at every impact.
AXE_OPTIONS = {"resultTypes": ["violations"]}


def axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    found = []
    for violation in result["violations"]:
        for node in violation["nodes"]:
            found.append(f"{violation['impact']} {violation['id']}: {' '.join(node['target'])} ({violation['help']})")
    return found


def login(page, base: str, phone: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Số điện thoại di động").fill(phone)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(base + "/")


def check_pages(page, base: str, role: str, values: dict) -> dict[str, list[str]]:
    problems = {}
    for entry in pages_for(role):
        path = entry.path.format(**values)
        response = page.goto(base + path + ("?lang=en" if entry.english else ""))
        assert response is not None and response.status == entry.status, f"{role}: {path} answered {response and response.status}"
        assert page.url.split("?")[0] == base + path, f"{role}: {path} went to {page.url}"
        if entry.submit:
            page.evaluate("() => document.querySelectorAll('form').forEach(f => { f.noValidate = true; })")
            with page.expect_navigation():
                page.get_by_role("button", name=entry.submit, exact=True).first.click()
        if entry.english:
            assert page.locator("html").get_attribute("lang") == "en"
        found = axe_violations(page)
        if found:
            problems[f"{role}: {entry.name} ({path})"] = found
        if entry.english:
            page.goto(base + "/lang/vi?next=/")
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_every_page_has_no_axe_violation(app, factory, cert_key, role):
    world = build_world(app, factory)
    with live_server(app) as base, chromium(bypass_csp=True) as page:
        if role != "anonymous":
            login(page, base, world["phones"][role])
        problems = check_pages(page, base, role, world["values"])
    assert problems == {}, "\n".join(f"{where}:\n  " + "\n  ".join(found) for where, found in problems.items())


def test_every_role_has_pages_to_check():
    assert all(pages_for(role) for role in ROLES)


def test_the_check_finds_a_violation(app):
    """The harness itself: a field without a label and an image without a text are reported."""
    with live_server(app) as base, chromium(bypass_csp=True) as page:
        page.goto(base + "/privacy")
        page.evaluate("html => document.querySelector('main').insertAdjacentHTML('beforeend', html)", '<img src="/x.png"><input>')
        found = axe_violations(page)
    assert any("image-alt" in line for line in found), found
    assert any(line.startswith("critical label") for line in found), found
