"""Field work: the tasks file, targets, the outreach log (idempotent queue, refusals, corrections
with history), counters equal to direct counts, the monthly report and its PDF text."""

from __future__ import annotations

import io
import random
import uuid
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.core.extensions import db
from lms.fieldwork import counts, outreach
from lms.fieldwork.models import OutreachCount, OutreachEntry, OutreachRevision, Target
from lms.fieldwork.progress import outreach_totals
from lms.fieldwork.tasks import load_tasks
from lms.places.models import Household
from tests.factories import DEMO_COMMUNE, OTHER_COMMUNE, csrf_from, next_phone
from tests.parallel import run_in_parallel
from tests.test_assisted import signed_in


def _household(app, village_id: int, label: str) -> int:
    from lms.places.households import label_key
    from lms.places.models import Village

    with app.app_context():
        village = db.session.get(Village, village_id)
        row = Household(village_id=village_id, commune_code=village.commune_code, label=label, label_key=label_key(label))
        db.session.add(row)
        db.session.commit()
        return row.id


@pytest.fixture(name="world")
def world_fixture(app, factory):
    phones = SimpleNamespace(member=next_phone(), leader=next_phone(), second=next_phone(), far=next_phone())
    member = factory.user(phone=phones.member, name="Lê Văn Tổ Viên")
    leader = factory.user(phone=phones.leader, name="Phạm Thị Tổ Trưởng")
    second = factory.user(phone=phones.second, name="Đỗ Văn Hai")
    village = factory.village(name="Thôn Đông")
    team = factory.team(village, name="Tổ Thôn Đông", members=(member, leader), leader=leader)
    other_village = factory.village(name="Thôn Tây")
    other_team = factory.team(other_village, name="Tổ Thôn Tây", members=(second,))
    far = factory.user(phone=phones.far, commune=OTHER_COMMUNE)
    far_village = factory.village(commune=OTHER_COMMUNE, name="Khu phố 1")
    far_team = factory.team(far_village, name="Tổ Khu phố 1", members=(far,))
    households = [_household(app, village, f"Số {n}, ngõ 3") for n in range(1, 6)]
    other_household = _household(app, other_village, "Nhà ông Tư, xóm Bãi")
    far_household = _household(app, far_village, "Số 9")
    return SimpleNamespace(
        phones=phones,
        member=member,
        leader=leader,
        second=second,
        village=village,
        team=team,
        other_village=other_village,
        other_team=other_team,
        far=far,
        far_team=far_team,
        households=households,
        other_household=other_household,
        far_household=far_household,
    )


def _token(client) -> str:
    return csrf_from(client.get("/field/outreach").text)


def _entry(household: int, task: str = "dich-vu-cong", day: date | None = None, **extra) -> dict:
    data = {
        "client_id": str(uuid.uuid4()),
        "date": (day or outreach.today()).isoformat(),
        "household": str(household),
        "task": task,
        "outcome": "done",
        "people": "2",
    }
    data.update(extra)
    return data


def _send(client, token, entry):
    return client.post("/api/fieldwork/entries", json=entry, headers={"X-CSRFToken": token})


def _count_rows(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(OutreachEntry))


# --- tasks ---------------------------------------------------------------------------------------


def test_the_five_basic_tasks_have_vietnamese_names_and_sub_items():
    tasks = load_tasks()
    assert len(tasks) == 5
    assert [t.name for t in tasks][0] == "Dịch vụ công trực tuyến"
    assert all(t.items and t.done for t in tasks)
    names = [i.name for t in tasks for i in t.items]
    assert "Kích hoạt tài khoản định danh điện tử VNeID mức 2" in names
    assert len({i.code for t in tasks for i in t.items}) == len(names)


def test_a_tasks_file_with_a_repeated_code_is_refused(tmp_path):
    path = tmp_path / "tasks.yaml"
    path.write_text("tasks:\n  - {code: a, name: A, items: [{code: a, name: B}]}\n", encoding="utf-8")
    with pytest.raises(ValueError):
        load_tasks(path)


# --- the outreach log ------------------------------------------------------------------------------


def test_a_queue_replayed_twice_is_stored_once(app, world):
    client = signed_in(app, world.phones.member)
    token = _token(client)
    queue = [
        _entry(world.households[0]),
        _entry(world.households[1], "thanh-toan"),
        _entry(world.households[2], outcome="follow_up"),
    ]
    first = [_send(client, token, e) for e in queue]
    again = [_send(client, token, e) for e in queue]
    assert [r.status_code for r in first] == [201, 201, 201]
    assert [r.status_code for r in again] == [200, 200, 200]
    assert [r.json["id"] for r in first] == [r.json["id"] for r in again]
    assert all(r.json["repeated"] for r in again)
    assert _count_rows(app) == 3
    with app.app_context():
        totals = outreach_totals("team", str(world.team), outreach.today())
    assert totals["dich-vu-cong"] == {"entries": 2, "done": 1, "follow_up": 1, "people": 2, "households": 1}
    assert totals["thanh-toan"]["households"] == 1


def test_the_same_queue_sent_from_two_tabs_at_once_is_stored_once(app, world):
    entry = _entry(world.households[0])
    clients = [signed_in(app, world.phones.member) for _ in range(4)]
    tokens = [_token(c) for c in clients]
    results = run_in_parallel(4, lambda i: _send(clients[i], tokens[i], entry).status_code)
    assert sorted(results) == [200, 200, 200, 201]
    assert _count_rows(app) == 1
    with app.app_context():
        assert outreach_totals("commune", DEMO_COMMUNE, outreach.today())["dich-vu-cong"]["entries"] == 1


def test_refusals_name_the_field_in_vietnamese(app, world):
    client = signed_in(app, world.phones.member)
    token = _token(client)
    tomorrow = outreach.today() + timedelta(days=1)
    cases = [
        (_entry(world.households[0], day=tomorrow), 422, "date", "ngày chưa tới"),
        (_entry(world.other_household), 422, "household", "không thuộc thôn"),
        (_entry(world.far_household), 422, "household", "không thuộc thôn"),
        (_entry(world.households[0], task="khong-co"), 422, "task", "nhiệm vụ"),
        (_entry(world.households[0], item="mo-gian-hang"), 422, "item", "không thuộc nhiệm vụ"),
        (_entry(world.households[0], note="CCCD 001 203 004 567"), 422, "note", "số căn cước"),
        (_entry(world.households[0], note="mật khẩu là abc"), 422, "note", "mật khẩu"),
        (_entry(world.households[0], people="0"), 422, "people", "từ 1 đến"),
        (_entry(world.households[0], outcome="maybe"), 422, "outcome", "Đã xong"),
        (_entry(str(2**31)), 422, "household", "chọn hộ"),
        (_entry(world.households[0], client_id="x"), 422, "client_id", "tải lại"),
        (_entry(world.households[0], note="a\x07b"), 422, "note", "không hợp lệ"),
        (_entry(world.households[0], date="2026-02-30"), 422, "date", "không hợp lệ"),
        (_entry(world.households[0], people=True), 422, "people", "từ 1 đến"),
    ]
    for entry, status, field, words in cases:
        response = _send(client, token, entry)
        assert response.status_code == status, (entry, response.text)
        assert response.json["field"] == field and words in response.json["message"], response.json
    # NUL bytes are refused before any view (400 with a message).
    response = _send(client, token, _entry(world.households[0], note="a\x00b"))
    assert response.status_code == 400 and response.json["message"]
    for body in ([1, 2], "x", None, {"household": {"a": 1}}):
        response = client.post("/api/fieldwork/entries", json=body, headers={"X-CSRFToken": token})
        assert 400 <= response.status_code < 500 and response.json["message"]
    assert _count_rows(app) == 0


def test_a_second_entry_for_the_same_visit_is_refused_as_a_duplicate(app, world):
    member = signed_in(app, world.phones.member)
    leader = signed_in(app, world.phones.leader)
    assert _send(member, _token(member), _entry(world.households[0])).status_code == 201
    response = _send(leader, _token(leader), _entry(world.households[0]))
    assert response.status_code == 409
    assert "đã được ghi nhiệm vụ “Dịch vụ công trực tuyến”" in response.json["message"]
    # Someone else's client id is not theirs to repeat.
    with app.app_context():
        taken = db.session.scalar(select(OutreachEntry.client_id))
    response = _send(leader, _token(leader), _entry(world.households[1], client_id=taken))
    assert response.status_code == 409 and _count_rows(app) == 1


def test_the_plain_form_records_keeps_what_was_typed_and_survives_a_double_click(app, world):
    client = signed_in(app, world.phones.member)
    page = client.get("/field/outreach")
    assert page.status_code == 200 and "Ghi việc đã giúp" in page.text
    assert "Số 1, ngõ 3" in page.text and "Nhà ông Tư" not in page.text
    import re

    client_id = re.search(r'name="client_id" type="hidden" value="([^"]+)"', page.text).group(1)
    form = {
        "csrf_token": csrf_from(page.text),
        "client_id": client_id,
        "date": outreach.today().isoformat(),
        "household": str(world.households[0]),
        "task": "an-toan-mang",
        "item": "noi-chuyen-lua-dao",
        "outcome": "done",
        "people": "12",
        "note": "Nói chuyện ở nhà văn hóa",
    }
    assert client.post("/field/outreach", data=form).status_code == 302
    again = client.post("/field/outreach", data=form, follow_redirects=True)
    assert "Mục này đã được ghi trước đó" in again.text
    assert _count_rows(app) == 1
    bad = dict(form, client_id=str(uuid.uuid4()), date=(outreach.today() + timedelta(days=3)).isoformat())
    response = client.post("/field/outreach", data=bad)
    assert response.status_code == 422
    assert "Không ghi được việc của một ngày chưa tới" in response.text
    assert "Nói chuyện ở nhà văn hóa" in response.text  # what was typed stays


def test_own_entries_are_corrected_for_a_few_days_with_every_version_kept(app, world):
    client = signed_in(app, world.phones.member)
    token = _token(client)
    created = _send(client, token, _entry(world.households[0], outcome="follow_up", people="1"))
    entry_id = created.json["id"]
    with app.app_context():
        assert outreach_totals("village", str(world.village), outreach.today())["dich-vu-cong"]["households"] == 0
    page = client.get(f"/field/outreach/{entry_id}")
    assert page.status_code == 200 and "Lịch sử thay đổi" in page.text
    form = {
        "csrf_token": csrf_from(page.text),
        "date": outreach.today().isoformat(),
        "household": str(world.households[0]),
        "task": "dich-vu-cong",
        "item": "vneid-muc-2",
        "outcome": "done",
        "people": "3",
        "note": "",
    }
    assert client.post(f"/field/outreach/{entry_id}", data=form).status_code == 302
    assert client.post(f"/field/outreach/{entry_id}", data=form).status_code == 302  # same values: no new version
    with app.app_context():
        versions = db.session.scalars(select(OutreachRevision).where(OutreachRevision.entry_id == entry_id)).all()
        assert [(v.revision, v.data["outcome"]) for v in versions] == [(1, "follow_up"), (2, "done")]
        totals = outreach_totals("village", str(world.village), outreach.today())["dich-vu-cong"]
        assert totals == {"entries": 1, "done": 1, "follow_up": 0, "people": 3, "households": 1}
    # Another member's entry is not theirs: 404; the entry stays as it was.
    leader = signed_in(app, world.phones.leader)
    assert leader.get(f"/field/outreach/{entry_id}").status_code == 404
    assert leader.post(f"/field/outreach/{entry_id}", data=dict(form, csrf_token=_token(leader))).status_code == 404
    # After the window: refused with a message.
    with app.app_context():
        row = db.session.get(OutreachEntry, entry_id)
        row.created_at = row.created_at - timedelta(days=outreach.CORRECTION_DAYS + 1)
        db.session.commit()
    response = client.post(f"/field/outreach/{entry_id}", data=dict(form, people="5"))
    assert response.status_code in (200, 422) and "không sửa được nữa" in response.text
    for bad in ("abc", str(2**31), "0"):
        assert client.get(f"/field/outreach/{bad}").status_code == 404


# --- targets ----------------------------------------------------------------------------------------


def test_officials_set_targets_and_negative_ones_are_refused(app, factory, world):
    official_phone = next_phone()
    factory.user(phone=official_phone, role="commune_official", role_commune=DEMO_COMMUNE)
    client = signed_in(app, official_phone)
    url = f"/fieldwork/teams/{world.team}/targets?period=2026-Q4"
    page = client.get(url)
    assert page.status_code == 200
    data = {"csrf_token": csrf_from(page.text), "period": "2026-Q4", "t-dich-vu-cong": "40", "t-thanh-toan": "-3"}
    response = client.post(f"/fieldwork/teams/{world.team}/targets", data=data)
    assert response.status_code == 422 and "Chỉ tiêu không được là số âm." in response.text and 'value="-3"' in response.text
    data["t-thanh-toan"] = "25"
    assert client.post(f"/fieldwork/teams/{world.team}/targets", data=data).status_code == 302
    assert client.post(f"/fieldwork/teams/{world.team}/targets", data=data).status_code == 302  # twice: same rows
    with app.app_context():
        rows = db.session.execute(select(Target.task_code, Target.households).where(Target.team_id == world.team)).all()
        assert sorted(rows) == [("dich-vu-cong", 40), ("thanh-toan", 25)]
    bad = client.post(f"/fieldwork/teams/{world.team}/targets", data=dict(data, period="2026-Q9"))
    assert bad.status_code == 422 and "Kỳ không hợp lệ" in bad.text
    with app.test_request_context("/"):
        from lms.fieldwork.targets import set_target
        from lms.places.models import Team

        actor, team = db.session.get(User, world.leader), db.session.get(Team, world.team)
        with pytest.raises(Exception, match="số âm"):
            set_target(actor, team, "dich-vu-cong", "2026-Q4", -1)


# --- counters against direct counts -------------------------------------------------------------------


def _direct(app, level: str, place: str, task: str, first: date, last: date) -> dict[str, int]:
    from lms.places.models import Commune

    with app.app_context():
        stmt = select(OutreachEntry).where(OutreachEntry.task_code == task)
        rows = [e for e in db.session.scalars(stmt)]
        provinces = dict(db.session.execute(select(Commune.code, Commune.province_code)).all())

        def where(e):
            return {
                "country": "VN",
                "province": provinces[e.commune_code],
                "commune": e.commune_code,
                "village": str(e.village_id),
                "team": str(e.team_id),
            }[level] == place

        mine = [e for e in rows if where(e)]
        in_range = [e for e in mine if first <= e.done_on.replace(day=1) <= last]
        firsts: dict[int, date] = {}
        for e in rows:
            if e.outcome == "done":
                firsts[e.household_id] = min(firsts.get(e.household_id, e.done_on), e.done_on)
        reached = {e.household_id for e in mine if e.outcome == "done" and firsts[e.household_id] == e.done_on}
        reached = {h for h in reached if first <= firsts[h].replace(day=1) <= last}
        return {
            "entries": len(in_range),
            "done": sum(e.outcome == "done" for e in in_range),
            "follow_up": sum(e.outcome == "follow_up" for e in in_range),
            "people": sum(e.people for e in in_range if e.outcome == "done"),
            "households": len(reached),
        }


def test_report_numbers_equal_direct_counts_on_seeded_data(app, world):
    rng = random.Random(15)
    clients = {world.phones.member: signed_in(app, world.phones.member), world.phones.second: signed_in(app, world.phones.second)}
    tokens = {phone: _token(c) for phone, c in clients.items()}
    homes = {world.phones.member: world.households, world.phones.second: [world.other_household]}
    tasks = [t.code for t in load_tasks()]
    stored = []
    for _ in range(60):
        phone = rng.choice(list(clients))
        day = outreach.today() - timedelta(days=rng.randrange(0, 80))
        entry = _entry(
            rng.choice(homes[phone]),
            rng.choice(tasks),
            day,
            outcome=rng.choice(["done", "follow_up"]),
            people=str(rng.randint(1, 4)),
        )
        response = _send(clients[phone], tokens[phone], entry)
        assert response.status_code in (201, 409)
        if response.status_code == 201:
            stored.append((phone, response.json["id"], entry))
    # Corrections: outcome flipped, date moved, household and task changed.
    for phone, entry_id, entry in rng.sample(stored, 15):
        client = clients[phone]
        changed = dict(entry, outcome=rng.choice(["done", "follow_up"]), people=str(rng.randint(1, 4)))
        changed["date"] = (date.fromisoformat(entry["date"]) - timedelta(days=rng.randrange(0, 20))).isoformat()
        changed["household"] = str(rng.choice(homes[phone]))
        changed["task"] = rng.choice(tasks)
        changed["csrf_token"] = tokens[phone]
        response = client.post(f"/field/outreach/{entry_id}", data=changed)
        assert response.status_code in (302, 409), response.text
    today = outreach.today()
    first, last = (today - timedelta(days=100)).replace(day=1), today.replace(day=1)
    places = [
        ("country", "VN"),
        ("province", "01"),
        ("commune", DEMO_COMMUNE),
        ("village", str(world.village)),
        ("village", str(world.other_village)),
        ("team", str(world.team)),
        ("team", str(world.other_team)),
    ]
    with app.app_context():
        kept = {(lvl, p): counts.totals(lvl, [p], first, last) for lvl, p in places}
        month = today.replace(day=1)
        kept_month = {(lvl, p): counts.totals(lvl, [p], month, month) for lvl, p in places}
    for (level, place), found in kept.items():
        for task in tasks:
            zero = dict.fromkeys(counts.COUNTERS, 0)
            assert found.get((place, task), zero) == _direct(app, level, place, task, first, last), (level, place, task)
            assert kept_month[(level, place)].get((place, task), zero) == _direct(app, level, place, task, month, month)
    # A rebuild from the entries gives the same counters.
    with app.app_context():
        before = sorted(tuple(r) for r in db.session.execute(select(*OutreachCount.__table__.columns)).all() if any(r[5:]))
        counts.rebuild()
        db.session.commit()
        after = sorted(tuple(r) for r in db.session.execute(select(*OutreachCount.__table__.columns)).all() if any(r[5:]))
    summed_before = _sum_shards(before)
    assert summed_before == _sum_shards(after)


def _sum_shards(rows):
    out: dict = {}
    for level, place, task, month, _shard, *values in rows:
        key = (level, place, task, month)
        out[key] = [a + b for a, b in zip(out.get(key, [0] * len(values)), values, strict=True)]
    return {k: v for k, v in out.items() if any(v)}


# --- the monthly report -----------------------------------------------------------------------------


def test_the_monthly_pdf_has_the_vietnamese_totals(app, factory, world):
    member = signed_in(app, world.phones.member)
    token = _token(member)
    day = outreach.today()
    for n, household in enumerate(world.households[:4]):
        assert _send(member, token, _entry(household, "dich-vu-cong", day, people=str(n + 1))).status_code == 201
    assert _send(member, token, _entry(world.households[4], "thanh-toan", day, outcome="follow_up")).status_code == 201
    official_phone = next_phone()
    factory.user(phone=official_phone, role="commune_official", role_commune=DEMO_COMMUNE)
    client = signed_in(app, official_phone)
    month = day.strftime("%Y-%m")
    response = client.get(f"/fieldwork/commune/{DEMO_COMMUNE}/report?month={month}&format=pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(response.data)
    text = "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    text = " ".join(text.split())
    assert "Báo cáo công tác cộng đồng" in text
    assert f"Tháng {day.month}/{day.year}" in text
    # Online public services: 4 households done, 1+2+3+4 people, no follow-up.
    assert "Dịch vụ công trực tuyến 4 10 0" in text
    assert "Thanh toán không dùng tiền mặt 0 0 1" in text
    assert "Tổng 4 10 1" in text
    assert "Tổ Thôn Tây (Thôn Tây)" in text  # has not reported
    xlsx = client.get(f"/fieldwork/commune/{DEMO_COMMUNE}/report?month={month}&format=xlsx")
    assert xlsx.status_code == 200
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.data))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert ("Dịch vụ công trực tuyến", 4, 10, 0, 4, 0) in rows
    for bad in ("2026-13", "2026-Q1", "abc", "\x00"):
        assert client.get(f"/fieldwork/commune/{DEMO_COMMUNE}/report?month={bad}&format=pdf").status_code == 400
    assert client.get(f"/fieldwork/commune/{DEMO_COMMUNE}/report?month={month}&format=doc").status_code == 400


# --- campaigns ----------------------------------------------------------------------------------------


def test_a_campaign_shows_its_daily_progress_against_its_targets(app, factory, world):
    member = signed_in(app, world.phones.member)
    token = _token(member)
    today = outreach.today()
    start = today - timedelta(days=2)
    # Before the campaign: this household does not count again.
    assert _send(member, token, _entry(world.households[0], day=start - timedelta(days=1))).status_code == 201
    assert _send(member, token, _entry(world.households[0], day=start)).status_code == 201
    assert _send(member, token, _entry(world.households[1], day=start)).status_code == 201
    assert _send(member, token, _entry(world.households[2], day=today)).status_code == 201
    assert _send(member, token, _entry(world.households[3], day=today, outcome="follow_up")).status_code == 201
    assert _send(member, token, _entry(world.households[4], "thanh-toan", day=today)).status_code == 201
    official_phone = next_phone()
    factory.user(phone=official_phone, role="commune_official", role_commune=DEMO_COMMUNE)
    client = signed_in(app, official_phone)
    url = f"/fieldwork/commune/{DEMO_COMMUNE}/campaigns"
    page = client.get(url)
    data = {
        "csrf_token": csrf_from(page.text),
        "name": "Mười ngày dịch vụ công",
        "task": "dich-vu-cong",
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(days=9)).isoformat(),
        "households": "5",
    }
    bad = client.post(url, data=dict(data, ends_on=(start - timedelta(days=1)).isoformat()))
    assert (
        bad.status_code == 422
        and "Ngày kết thúc phải từ ngày bắt đầu trở đi." in bad.text
        and "Mười ngày dịch vụ công" in bad.text
    )
    assert client.post(url, data=dict(data, households="-1")).text.count("Chỉ tiêu không được là số âm.") == 1
    response = client.post(url, data=data)
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).text
    # Two households on the first day (one of them was helped before: not counted), one today.
    assert "Hộ được giúp xong: 2" in shown and "chỉ tiêu 10 hộ" in shown  # 5 for each of the two teams
    rows = [" ".join(r.split()) for r in shown.split("<tr>")]
    assert any(r.startswith(f"<td>{start.strftime('%d/%m/%Y')}</td><td>1</td><td>2</td><td>1</td>") for r in rows), rows
    assert any(r.startswith(f"<td>{today.strftime('%d/%m/%Y')}</td><td>1</td><td>1</td><td>2</td>") for r in rows), rows
    assert "<td>Tổ Thôn Đông (Thôn Đông)</td><td>2</td><td>5</td>" in shown
    far_phone = next_phone()
    factory.user(phone=far_phone, role="commune_official", role_commune=OTHER_COMMUNE)
    far = signed_in(app, far_phone)
    assert far.get(response.headers["Location"]).status_code == 404
    assert far.get(url).status_code == 404
    assert signed_in(app, world.phones.leader).get(response.headers["Location"]).status_code == 404
