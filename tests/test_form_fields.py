"""The field macro writes ARIA attributes only when they mean something."""

from __future__ import annotations

import re

from tests.factories import csrf_from, login_as


def test_no_field_says_none_or_invalid_before_anything_is_typed(app, factory, client):
    pages = {url: client.get(url).text for url in ("/register", "/login", "/reset")}
    signed_in, _, _, _ = login_as(app, factory)
    pages["/account"] = signed_in.get("/account").text
    for url, page in pages.items():
        assert '="None"' not in page
        assert "aria-invalid" not in page
        # Only the login page, whose one job is that field, puts the cursor in it.
        assert page.count(" autofocus") == (1 if url == "/login" else 0), url
        for described in re.findall(r'aria-describedby="([^"]*)"', page):
            for target in described.split():
                assert f'id="{target}"' in page, target


def test_a_field_with_an_error_points_at_its_message(client):
    page = client.get("/login")
    response = client.post("/login", data={"csrf_token": csrf_from(page.text), "phone": "123", "password": "x"})
    assert 'aria-invalid="true"' in response.text
    for described in re.findall(r'aria-describedby="([^"]*)"', response.text):
        for target in described.split():
            assert f'id="{target}"' in response.text, target
