"""The menu and the footer come from the features' entries: each person sees what is theirs."""

from __future__ import annotations

import re

from tests.factories import DEMO_COMMUNE, login_as


def _menu(page: str) -> str:
    return re.search(r"<nav\b.*?</nav>", page, flags=re.S).group(0)


def _footer(page: str) -> str:
    return re.search(r"<footer\b.*?</footer>", page, flags=re.S).group(0)


def test_every_page_links_the_verify_page_and_the_privacy_notice_in_the_footer(app, factory, client):
    learner = login_as(app, factory)[0]
    for page in (client.get("/").text, client.get("/login").text, learner.get("/dashboard").text):
        footer = _footer(page)
        assert 'href="/verify"' in footer and "Kiểm tra giấy chứng nhận" in footer
        assert 'href="/privacy"' in footer


def test_a_learner_finds_their_certificates_in_the_menu(app, factory, client):
    assert 'href="/certificates/mine"' not in _menu(client.get("/").text)
    learner = login_as(app, factory)[0]
    menu = _menu(learner.get("/").text)
    assert 'href="/certificates/mine"' in menu and "Giấy chứng nhận của tôi" in menu
    assert 'href="/certificates/manage"' not in menu


def test_an_official_sees_the_management_entries(app, factory):
    official = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)[0]
    menu = _menu(official.get("/").text)
    for href in ("/manage", "/people", "/certificates/manage", "/dashboard", "/account"):
        assert f'href="{href}"' in menu, href
