"""Roster import routes × roles × objects: who gets what, with 0 leaks.

Roles: anonymous, learner, team member, team leader, the commune official of another commune,
the commune official, the province official and an admin. Objects: an import of the commune
(Phường Ba Đình) and one of a commune of another province (Phường Vũng Tàu). Anything out of
scope answers 404 like a page that does not exist, shows no name of the import, and changes
nothing; anonymous visitors are sent to log in.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.accounts.models import User
from lms.core.extensions import db
from lms.places.models import Commune, RosterImport
from tests.factories import DEMO_COMMUNE, OTHER_COMMUNE, Auth, csrf_from, next_phone

ROLES = ("anonymous", "learner", "member", "leader", "other_official", "commune_official", "province_official", "admin")
# Which of the two communes each role may import into and see imports of.
ALLOWED = {
    "anonymous": set(),
    "learner": set(),
    "member": set(),
    "leader": set(),
    "other_official": {OTHER_COMMUNE},
    "commune_official": {DEMO_COMMUNE},
    "province_official": {DEMO_COMMUNE},
    "admin": {DEMO_COMMUNE, OTHER_COMMUNE},
}
OFFICIALS = {"other_official", "commune_official", "province_official", "admin"}
SECRET = {DEMO_COMMUNE: "danh-sach-ba-dinh-bi-mat.csv", OTHER_COMMUNE: "danh-sach-vung-tau-bi-mat.csv"}


@pytest.fixture
def world(app, factory, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "ROSTER_DIR", str(tmp_path))
    village = factory.village()
    member = factory.user(name="Lê Văn Tổ Viên")
    leader = factory.user(name="Phạm Thị Tổ Trưởng")
    factory.team(village, members=(member, leader), leader=leader)
    with app.app_context():
        province = db.session.get(Commune, DEMO_COMMUNE).province_code
    ids = {
        "learner": factory.user(name="Trần Thị Học"),
        "member": member,
        "leader": leader,
        "other_official": factory.user(
            name="Cán Bộ Vũng Tàu", commune=OTHER_COMMUNE, role="commune_official", role_commune=OTHER_COMMUNE
        ),
        "commune_official": factory.user(name="Cán Bộ Ba Đình", role="commune_official", role_commune=DEMO_COMMUNE),
        "province_official": factory.user(name="Cán Bộ Sở", role="province_official", province=province),
        "admin": factory.user(name="Quản Trị", role="admin"),
    }
    clients = {"anonymous": app.test_client()}
    with app.app_context():
        phones = {role: db.session.get(User, uid).phone for role, uid in ids.items()}
    for role, phone in phones.items():
        client = app.test_client()
        assert Auth(client).login("0" + phone[3:]).status_code == 302
        clients[role] = client
    return {"clients": clients, "ids": ids, "tmp": tmp_path}


def make_import(app, world, commune: str, status: str = "preview") -> int:
    """An import of one good row, as a preview (or failed) row with its file on disk."""
    path = world["tmp"] / f"{next_phone()}.upload"
    path.write_bytes(f"\ufeffHọ và tên,Số điện thoại\r\nVõ Văn Mới,{next_phone()}\r\n".encode())
    with app.app_context():
        row = RosterImport(
            created_by_id=world["ids"]["admin"],
            commune_code=commune,
            kind="learners",
            filename=SECRET[commune],
            file_sha256="0" * 64,
            stored_path=str(path),
            status=status,
            total_rows=1,
            created_count=1,
            detail={"phase": "apply" if status == "failed" else "check", "actor_id": world["ids"]["admin"],
                    "file_kind": "csv", "encoding": "utf-8-sig", "size": path.stat().st_size, "counts": {}},
        )  # fmt: skip
        db.session.add(row)
        db.session.commit()
        return row.id


def status_of(app, import_id: int) -> str:
    with app.app_context():
        return db.session.scalar(select(RosterImport.status).where(RosterImport.id == import_id))


def expect(response, role: str, allowed: bool, what: str) -> None:
    if role == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"], what
    elif allowed:
        assert response.status_code in (200, 302), f"{what}: {response.status_code}"
    else:
        assert response.status_code == 404, f"{what}: {response.status_code}"
        for secret in SECRET.values():
            assert secret not in response.get_data(as_text=True), f"{what} leaks {secret}"


@pytest.mark.parametrize("role", ROLES)
def test_route_role_object_matrix_has_no_leak(app, world, role):
    client = world["clients"][role]
    imports = {commune: make_import(app, world, commune) for commune in (DEMO_COMMUNE, OTHER_COMMUNE)}
    official = role in OFFICIALS

    index = client.get("/rosters")
    expect(index, role, official, "GET /rosters")
    if official:  # the list shows the imports in scope and no other
        for commune, secret in SECRET.items():
            assert (secret in index.text) == (commune in ALLOWED[role]), f"{role} /rosters and {secret}"
    for fmt in ("csv", "xlsx"):
        expect(client.get(f"/rosters/template.{fmt}"), role, official, f"GET template.{fmt}")

    own_token = csrf_from(client.get("/login" if role == "anonymous" else "/").text)
    for commune in (DEMO_COMMUNE, OTHER_COMMUNE):
        allowed = commune in ALLOWED[role]
        expect(client.get(f"/rosters/new?commune={commune}"), role, allowed, f"GET /rosters/new {commune}")
        import_id = imports[commune]
        expect(client.get(f"/rosters/{import_id}"), role, allowed, f"GET /rosters/{commune}")
        progress = client.get(f"/rosters/{import_id}/progress")
        expect(progress, role, allowed, f"GET progress {commune}")
        if allowed:
            assert progress.get_json()["status"] == "preview"
            page = client.get(f"/rosters/{import_id}").text
            assert SECRET[commune] in page
            token = csrf_from(page)
        else:
            token = own_token
        # Confirm: writes only for an official in scope.
        response = client.post(f"/rosters/{import_id}/confirm", data={"csrf_token": token})
        expect(response, role, allowed, f"POST confirm {commune}")
        assert status_of(app, import_id) == ("done" if allowed else "preview"), f"{role} confirm {commune}"
        # Retry of a failed import: the same.
        failed = make_import(app, world, commune, status="failed")
        response = client.post(f"/rosters/{failed}/retry", data={"csrf_token": token})
        expect(response, role, allowed, f"POST retry {commune}")
        assert status_of(app, failed) == ("done" if allowed else "failed"), f"{role} retry {commune}"
        # Upload: only into a commune in scope; a refused one leaves no import behind.
        before = _count(app)
        response = client.post(
            f"/rosters/new?commune={commune}",
            data={"csrf_token": token, "kind": "learners", "file": (_file(), "moi.csv")},
            content_type="multipart/form-data",
        )
        expect(response, role, allowed, f"POST upload {commune}")
        assert _count(app) == before + (1 if allowed else 0), f"{role} upload {commune}"


def _file():
    import io

    return io.BytesIO(f"Họ và tên,Số điện thoại\r\nTừ Văn Gửi,{next_phone()}\r\n".encode())


def _count(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(RosterImport.id)).all())


def test_the_menu_entry_is_for_officials_only(app, world):
    for role, client in world["clients"].items():
        assert ('href="/rosters"' in client.get("/").text) == (role in OFFICIALS), role
