"""The lesson page cache keeps only what is the same for every reader: each viewer gets their
own menu, read state and form token, whoever loaded the lesson before them."""

from __future__ import annotations

import re

from tests.factories import DEMO_COMMUNE, login_as

LESSON = "/courses/nguoi-dan/b01-trinh-duyet/"


def _first_lesson(client) -> str:
    page = client.get("/courses/nguoi-dan/b01-trinh-duyet").text
    return re.search(r'href="(/courses/nguoi-dan/b01-trinh-duyet/[^"/]+)"', page).group(1)


def _menu(html: str) -> set[str]:
    nav = html.split('<nav aria-label="Điều hướng chính">', 1)[1].split("</nav>", 1)[0]
    return set(re.findall(r'href="([^"?]+)', nav)) | ({"logout"} if "/logout" in nav else set())


def _viewers(app, factory):
    leader_client, _, leader, _ = login_as(app, factory, name="Tổ Trưởng Bình")
    village = factory.village()
    factory.team(village, members=(leader,), leader=leader)
    official_client = login_as(app, factory, name="Cán Bộ Xã Hoa", role="commune_official", role_commune=DEMO_COMMUNE)[0]
    learner_client = login_as(app, factory, name="Người Học Cúc")[0]
    return {"leader": leader_client, "official": official_client, "learner": learner_client, "anonymous": app.test_client()}


EXPECTED_MENU = {
    "leader": {
        *("/courses", "/dashboard", "/certificates/mine", "/account", "logout"),
        *("/manage", "/people", "/reports", "/reports/scorecards", "/helped"),
        *("/field/register", "/field/outreach", "/fieldwork"),
    },
    "official": {
        *("/courses", "/dashboard", "/certificates/mine", "/account", "logout"),
        *("/manage", "/people", "/reports", "/reports/scorecards", "/certificates/manage"),
        *("/manage/roles", "/rosters", "/fieldwork"),
    },
    "learner": {"/courses", "/dashboard", "/certificates/mine", "/account", "logout"},
    "anonymous": {"/courses", "/login", "/register"},
}


def _check_each_sees_their_own_menu(app, factory, order):
    viewers = _viewers(app, factory)
    lesson = _first_lesson(viewers["anonymous"])
    for role in order:
        response = viewers[role].get(lesson)
        assert response.status_code == 200
        assert _menu(response.text) == EXPECTED_MENU[role], role
        assert ("Tôi đã đọc xong bài này" in response.text) == (role != "anonymous"), role


def test_a_leader_then_an_official_then_anonymous_each_see_their_own_menu(app, factory):
    _check_each_sees_their_own_menu(app, factory, ["leader", "official", "anonymous", "learner"])


def test_an_official_then_a_leader_each_see_their_own_menu(app, factory):
    _check_each_sees_their_own_menu(app, factory, ["anonymous", "official", "leader", "learner", "official"])


def test_read_state_and_form_token_are_the_viewers_own(app, factory):
    first, auth, _, _ = login_as(app, factory)
    second = login_as(app, factory)[0]
    lesson = _first_lesson(first)
    page = first.get(lesson).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.split('class="lesson-end"')[1]).group(1)
    response = first.post(f"{lesson}/done", data={"csrf_token": token})
    assert response.status_code == 302
    assert "Bạn đã đọc xong bài này." in first.get(lesson).text
    other = second.get(lesson).text
    assert "Bạn đã đọc xong bài này." not in other and "Tôi đã đọc xong bài này" in other
    assert token not in other


def test_a_flash_message_reaches_an_anonymous_reader_of_a_cached_lesson(app):
    client = app.test_client()
    lesson = _first_lesson(client)
    assert client.get(lesson).status_code == 200  # now cached
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Thông báo thử")]
    assert "Thông báo thử" in client.get(lesson).text
    assert "Thông báo thử" not in client.get(lesson).text
