"""Roster import: template, upload, preview, each kind of bad row, confirm, idempotent
re-import, scope, hostile files and the inline job path with its progress JSON.

The route × role × object matrix is in tests/test_rosters_matrix.py.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from lms.accounts.models import User
from lms.core.audit import AuditEvent
from lms.core.extensions import db
from lms.places.models import Household, RosterImport, TeamMembership, Village
from tests.factories import DEMO_COMMUNE, OTHER_COMMUNE, csrf_from, login_as

FIXTURES = Path(__file__).parent / "fixtures" / "rosters"
HEADER = ["Họ và tên", "Số điện thoại", "Năm sinh", "Thôn/Tổ dân phố", "Hộ gia đình (địa chỉ)", "Xã/Phường"]


def csv_bytes(rows, header=HEADER, bom=True, delimiter=",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows, header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, content: bytes, filename="danh-sach.csv", kind="learners", team="", commune=DEMO_COMMUNE):
    page = client.get(f"/rosters/new?commune={commune}")
    assert page.status_code == 200, page.text
    # Encoded here: the test client would spool a big body to a temporary file it never closes.
    boundary, body = encode_multipart(
        MultiDict(
            {
                "csrf_token": csrf_from(page.text),
                "kind": kind,
                "team": str(team),
                "file": FileStorage(io.BytesIO(content), filename=filename),
            }
        )
    )
    return client.post(f"/rosters/new?commune={commune}", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def import_id_of(response) -> int:
    assert response.status_code == 302, response.text
    return int(re.search(r"/rosters/(\d+)$", response.headers["Location"]).group(1))


def confirm(client, import_id: int):
    page = client.get(f"/rosters/{import_id}")
    return client.post(f"/rosters/{import_id}/confirm", data={"csrf_token": csrf_from(page.text)})


def roster(app, import_id: int) -> RosterImport:
    with app.app_context():
        row = db.session.get(RosterImport, import_id)
        db.session.expunge(row)
        return row


def snapshot(app) -> dict:
    """Everything an import may write, to compare before and after."""
    with app.app_context():
        return {
            "users": sorted(tuple(r) for r in db.session.execute(select(User.id, User.phone, User.full_name, User.household_id))),
            "members": sorted(tuple(r) for r in db.session.execute(select(TeamMembership.team_id, TeamMembership.user_id))),
            "households": sorted(tuple(r) for r in db.session.execute(select(Household.id, Household.label_key))),
        }


@pytest.fixture(autouse=True)
def roster_dir(app, tmp_path, monkeypatch):
    folder = tmp_path / "rosters"
    monkeypatch.setitem(app.config, "ROSTER_DIR", str(folder))
    return folder


@pytest.fixture
def official(app, factory):
    client, auth, official_id, phone = login_as(
        app, factory, name="Cán Bộ Xã", role="commune_official", role_commune=DEMO_COMMUNE
    )
    return client, official_id


@pytest.fixture
def village(app, factory):
    return factory.village(name="Thôn Đông")


def test_templates_have_the_vietnamese_headers_in_csv_and_xlsx(app, official):
    client, _ = official
    response = client.get("/rosters/template.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="mau-danh-sach.csv"'
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert response.data.decode("utf-8-sig") == ",".join(HEADER) + "\r\n"
    response = client.get("/rosters/template.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert [c.value for c in book.worksheets[0][1]] == HEADER
    assert book.worksheets[0].column_dimensions["B"].number_format == "@"  # phones keep their leading 0
    assert "Mỗi dòng là một người" in book.worksheets[1]["A1"].value


def test_good_csv_previews_writes_nothing_then_confirm_creates_and_reimport_changes_nothing(app, factory, official, village):
    client, official_id = official
    existing = factory.user(phone="0912300003", name="Lê Thị Hoa")
    before = snapshot(app)
    response = upload(client, (FIXTURES / "good.csv").read_bytes())
    import_id = import_id_of(response)
    page = client.get(f"/rosters/{import_id}")
    assert "Xem trước: chưa có gì được ghi" in page.text
    assert "Nguyễn Thị Lan" in page.text and "0912 300 001" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    row = roster(app, import_id)
    assert (row.status, row.total_rows, row.created_count, row.matched_count, row.error_count) == ("preview", 5, 4, 1, 0)
    assert row.detail["counts"]["households"] == 2  # "Số 12, ngõ 3" and "số 12 ngõ 3" are one household
    assert snapshot(app) == before

    response = confirm(client, import_id)
    assert response.status_code == 302
    row = roster(app, import_id)
    assert row.status == "done" and row.created_count == 4 and row.finished_at is not None
    assert row.stored_path is None
    with app.app_context():
        people = {u.phone: u for u in db.session.scalars(select(User).where(User.phone.like("+8491230000%")))}
        assert sorted(people) == [f"+8491230000{i}" for i in range(1, 6)]
        lan, binh, hoa, duc = people["+84912300001"], people["+84912300002"], people["+84912300003"], people["+84912300004"]
        assert lan.full_name == "Nguyễn Thị Lan" and lan.birth_year == 1975 and lan.home_commune_code == DEMO_COMMUNE
        assert lan.name_key == "nguyen thi lan"
        assert lan.household_id is not None and lan.household_id == binh.household_id
        assert db.session.get(Household, lan.household_id).label == "Số 12, ngõ 3"
        assert db.session.get(Household, lan.household_id).village_id == village
        assert hoa.id == existing and hoa.household_id is None  # matched, left as it was
        assert duc.phone == "+84912300004"  # 912300004: the leading 0 a spreadsheet dropped
        assert lan.password_hash == "!"  # no usable password: a reset code from an official
        assert db.session.scalar(select(func.count()).select_from(Household)) == 2
        events = db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == official_id)).all()
        assert "roster.upload" in events and "roster.apply" in events
    done = client.get(f"/rosters/{import_id}").text
    assert "Kết quả" in done and "Tài khoản mới đã tạo" in done

    after_first = snapshot(app)
    again = import_id_of(upload(client, (FIXTURES / "good.csv").read_bytes()))
    row = roster(app, again)
    assert (row.status, row.created_count, row.matched_count, row.detail["counts"]["households"]) == ("preview", 0, 5, 0)
    confirm(client, again)
    assert roster(app, again).status == "done"
    assert snapshot(app) == after_first


def test_good_xlsx_with_numeric_cells_imports_members_into_a_team(app, factory, official, village):
    client, _ = official
    team = factory.team(village)
    member = factory.user(phone="0912300021", name="Vũ Văn Tổ")
    factory.team(village, name="Tổ khác", members=(member,))
    content = xlsx_bytes(
        [
            ("Vũ Văn Tổ", "0912300021", 1970, "", "", ""),
            ("Đinh Thị Thu", 912300022, 1988.0, "Đông", "Xóm Bãi", None),  # numbers as Excel stores them
        ]
    )
    import_id = import_id_of(upload(client, content, filename="to.xlsx", kind="members", team=team))
    row = roster(app, import_id)
    assert (row.status, row.created_count, row.matched_count) == ("preview", 1, 1), (
        row.detail.get("errors"),
        row.detail.get("file_error"),
    )
    assert row.detail["counts"]["joined"] == 2
    confirm(client, import_id)
    assert roster(app, import_id).status == "done"
    with app.app_context():
        members = db.session.execute(
            select(User.full_name, User.birth_year)
            .join(TeamMembership, TeamMembership.user_id == User.id)
            .where(TeamMembership.team_id == team)
            .order_by(User.id)
        ).all()
        assert members == [("Vũ Văn Tổ", None), ("Đinh Thị Thu", 1988)]
    page = client.get(f"/manage/teams/{team}").text
    assert "Đinh Thị Thu" in page and "Vũ Văn Tổ" in page
    # Again: both are members already; the memberships are kept, nothing is added.
    again = import_id_of(upload(client, content, filename="to-lan-2.xlsx", kind="members", team=team))
    assert roster(app, again).detail["counts"] == {**roster(app, again).detail["counts"], "joined": 0, "kept": 2}
    confirm(client, again)
    assert factory.count(TeamMembership, TeamMembership.team_id == team) == 2


def errors_of(app, import_id: int) -> dict[int, list[tuple[str, str]]]:
    row = roster(app, import_id)
    found: dict[int, list[tuple[str, str]]] = {}
    for error in row.detail["errors"]:
        found.setdefault(error["row"], []).append((error["field"], error["message"]))
    return found


def test_each_kind_of_bad_row_is_named_in_vietnamese_and_the_file_writes_nothing(app, factory, official, village):
    client, _ = official
    factory.user(phone="0912300015", name="Người Khác Xã", commune=OTHER_COMMUNE)
    factory.user(phone="0912300016", name="Đỗ Văn Thật")
    content = (FIXTURES / "bad_rows.csv").read_bytes() + (
        "Không Phải Người Này,0912300016,1990,,,\r\nNgười Khác Xã,0912300015,1990,,,\r\n".encode()
    )
    before = snapshot(app)
    import_id = import_id_of(upload(client, content))
    row = roster(app, import_id)
    assert (row.status, row.total_rows, row.error_count) == ("rejected", 13, 12), str(
        sorted({e["row"] for e in row.detail["errors"]})
    )
    errors = errors_of(app, import_id)
    phone, name, year, village_col, household, commune = HEADER[1], HEADER[0], HEADER[2], HEADER[3], HEADER[4], HEADER[5]
    assert 3 not in errors  # the header follows a title row; the first person is fine
    assert errors[4] == [(phone, "Đây là số máy bàn. Bạn hãy nhập số di động (10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09).")]
    assert errors[5] == [(phone, "Số điện thoại này trùng với dòng 3.")]
    assert errors[6] == [(year, "Năm sinh phải trong khoảng 1916–2020.")]
    assert errors[7] == [(year, "Năm sinh phải trong khoảng 1916–2020.")]
    assert errors[8] == [
        (village_col, "Phường Ba Đình không có thôn/tổ dân phố «Thôn Không Có». Cán bộ xã cần thêm thôn này trước, "
                      "hoặc bạn hãy sửa tên cho đúng.")
    ]  # fmt: skip
    assert errors[9] == [(commune, "Không nhận ra xã/phường «Phường Vũng Tàu»: tệp này nhập cho Phường Ba Đình.")]
    assert errors[10] == [(name, "Họ và tên dài tối đa 80 ký tự.")]
    assert errors[11] == [(name, "Họ và tên chỉ gồm chữ cái, dấu cách, dấu gạch nối hoặc dấu nháy.")]  # a formula
    assert errors[12] == [(household, "Cần ghi thôn/tổ dân phố của hộ gia đình này.")]
    assert errors[13] == [(year, "Năm sinh phải là số, ví dụ 1975.")]
    assert errors[14] == [(phone, "Số điện thoại này đã có tài khoản với họ tên khác. Bạn hãy kiểm tra lại số hoặc họ tên.")]
    # Another commune's resident: the neutral words of the "add a member" form, nothing more.
    assert errors[15] == [
        (phone, "Không thêm được số này. Chỉ thêm được người đã có tài khoản và có xã/phường thường trú "
                "thuộc phạm vi bạn quản lý. Nếu người đó chưa đăng ký, tổ viên có thể đăng ký giúp.")
    ]  # fmt: skip
    page = client.get(f"/rosters/{import_id}").text
    assert "Tệp bị từ chối: chưa có gì được ghi" in page and "Có 12 lỗi." in page
    assert "Đây là số máy bàn." in page and "Nhập 13 dòng" not in page
    assert snapshot(app) == before
    assert row.stored_path is None  # the file is not kept once refused
    # A rejected import cannot be confirmed.
    assert confirm(client, import_id).status_code == 302
    assert roster(app, import_id).status == "rejected" and snapshot(app) == before


def test_cp1258_and_semicolons_are_read_and_other_encodings_refused(app, official):
    client, _ = official
    import_id = import_id_of(upload(client, (FIXTURES / "cp1258.csv").read_bytes()))
    row = roster(app, import_id)
    assert row.status == "preview" and row.detail["encoding"] == "cp1258", row.detail
    assert [s["name"] for s in row.detail["sample"]] == ["Nguyễn Thị Lan", "Đặng Quốc Khải"]
    assert "Tệp được đọc theo bảng mã Windows-1258" in client.get(f"/rosters/{import_id}").text
    # Windows-1252 (a Western code page) holds a few Vietnamese letters; when that reading is
    # Vietnamese, it is taken.
    western = import_id_of(upload(client, "Ho và tên,So dien thoai\r\nTrì Lê,0912300031\r\n".encode("cp1252")))
    row = roster(app, western)
    assert row.detail["encoding"] == "cp1252" and row.detail["sample"][0]["name"] == "Trì Lê"
    # Excel's "Unicode Text": UTF-16 with its BOM and tabs.
    unicode_text = "Họ và tên\tSố điện thoại\r\nLê Văn Tám\t0912300032\r\n".encode("utf-16")
    row = roster(app, import_id_of(upload(client, unicode_text, filename="danh-sach.txt")))
    assert row.detail["encoding"] == "utf-16" and row.detail["sample"][0]["name"] == "Lê Văn Tám"
    # Bytes that read as Vietnamese in no code page (here Chinese in GBK) are refused, never guessed.
    response = upload(client, "Họ và tên,Số điện thoại\r\n".encode() + "黎文八,0912300033\r\n".encode("gbk"))
    assert response.status_code == 400
    assert "Không đọc được chữ tiếng Việt trong tệp này" in response.text
    assert factory_count_imports(app) == 3


def factory_count_imports(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(RosterImport))


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("cu.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Tệp Excel 97–2003 (.xls) không đọc được."),
        ("gia.xlsx", b"Ho va ten,So dien thoai\r\n", "Tệp .xlsx này không mở được: nội dung không phải bảng tính Excel."),
        ("hong.xlsx", b"PK\x03\x04" + b"\x00" * 200, "Tệp .xlsx này không mở được: tệp hỏng hoặc không phải bảng tính Excel."),
        ("anh.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "Chỉ nhận tệp .csv hoặc .xlsx."),
        ("nhi-phan.csv", b"\x00\x01\x02\x03" * 20, "Tệp này không phải tệp CSV (văn bản)."),
        ("rong.csv", b"", "Tệp rỗng."),
    ],
)
def test_files_of_the_wrong_type_are_refused_with_400_and_a_message(app, official, roster_dir, filename, content, message):
    client, _ = official
    response = upload(client, content, filename=filename)
    assert response.status_code == 400, response.text
    assert message in response.text
    assert "Người học (cư dân của xã)" in response.text  # the form again, with its choices
    assert factory_count_imports(app) == 0
    assert not list(roster_dir.iterdir())  # nothing kept either


def test_a_file_over_the_limit_gets_413_with_the_limit_in_words(app, official, roster_dir, monkeypatch):
    client, _ = official
    monkeypatch.setitem(app.config, "ROSTER_MAX_BYTES", 1024 * 1024)
    big = csv_bytes([("Nguyễn Văn Dài", f"0912{i:06d}", 1980, "", "", "") for i in range(40_000)])
    assert len(big) > 1024 * 1024 + 64 * 1024
    response = upload(client, big)
    assert response.status_code == 413
    assert "Tệp quá lớn: mỗi tệp tối đa 1 MB." in response.text
    # Just over the limit, under the request's margin: the copy stops and says the same.
    response = upload(client, big[: 1024 * 1024 + 1000])
    assert response.status_code == 413 and "Tệp quá lớn: mỗi tệp tối đa 1 MB." in response.text
    assert factory_count_imports(app) == 0
    assert not list(roster_dir.iterdir())


def test_hostile_cells_are_refused_row_by_row(app, official, village):
    client, _ = official
    content = (
        "Họ và tên,Số điện thoại,Năm sinh,Thôn/Tổ dân phố,Hộ gia đình (địa chỉ)\r\n"
        "Lê Văn\x00Nul,0912300041,1980,,\r\n"
        "Lê Văn Dài,0912300042,1980,,Thôn Đông" + "x" * 300 + "\r\n"
        "Lê Văn Hộ,0912300043,1980,Thôn Đông,=cmd|' /C calc'!A0\r\n"
        "Lê Văn Căn,0912300044,1980,Thôn Đông,Số 012345678901\r\n"
        '"Lê Văn\r\nXuống Dòng",0912300045,1980,,\r\n'
    ).encode()
    import_id = import_id_of(upload(client, content))
    errors = errors_of(app, import_id)
    assert errors[2] == [("Họ và tên", "Ô có ký tự điều khiển không hợp lệ.")]
    assert errors[3] == [("Hộ gia đình (địa chỉ)", "Ô dài quá 255 ký tự.")]
    assert errors[4] == [("Hộ gia đình (địa chỉ)", "Địa chỉ hộ không được bắt đầu bằng dấu =, + hoặc @ (công thức bảng tính).")]
    assert errors[5] == [
        (
            "Hộ gia đình (địa chỉ)",
            "Không ghi số căn cước, số định danh hay số điện thoại vào địa chỉ hộ: chỉ ghi số nhà, ngõ, xóm.",
        )
    ]
    assert 6 not in errors  # a line break inside a quoted cell is a space: "Lê Văn Xuống Dòng"
    # A line longer than any cell may be: the file is refused with the line it stopped at.
    huge = ("Họ và tên,Số điện thoại\r\nLê Văn Tám,0912300046\r\nA," + "9" * 200_000 + "\r\n").encode()
    import_id = import_id_of(upload(client, huge))
    row = roster(app, import_id)
    assert row.status == "rejected"
    assert row.detail["file_error"].startswith("Dòng 3 của tệp CSV không đọc được")
    # No header at all.
    import_id = import_id_of(upload(client, b"a,b\r\nc,d\r\n"))
    assert "Không tìm thấy dòng tên cột." in client.get(f"/rosters/{import_id}").text


def test_title_rows_semicolons_and_too_many_rows(app, official, monkeypatch):
    client, _ = official
    titled = "DANH SÁCH NGƯỜI HỌC\r\nsep=;\r\nHọ và tên;Số điện thoại;Ghi chú\r\nLê Văn Một;0912300091;x\r\n"
    row = roster(app, import_id_of(upload(client, titled.encode())))
    assert row.status == "preview" and row.total_rows == 1 and row.detail["unused_columns"] == ["Ghi chú"]
    monkeypatch.setitem(app.config, "ROSTER_MAX_ROWS", 3)
    rows = [(f"Lê Văn {chr(65 + i)}", f"09123002{i:02d}", "", "", "", "") for i in range(4)]
    row = roster(app, import_id_of(upload(client, csv_bytes(rows))))
    assert row.status == "rejected"
    assert row.detail["file_error"] == "Tệp có hơn 3 dòng. Bạn hãy chia danh sách thành nhiều tệp."


def test_an_xlsx_that_unpacks_too_big_is_refused_with_413(app, official, monkeypatch):
    client, _ = official
    monkeypatch.setitem(app.config, "ROSTER_MAX_UNZIPPED_BYTES", 10_000)
    content = xlsx_bytes([("Nguyễn Văn Một", f"0912{i:06d}", 1980, "", "", "") for i in range(300)])
    response = upload(client, content, filename="bom.xlsx")
    assert response.status_code == 413
    assert "Tệp .xlsx này giải nén ra quá lớn. Bạn hãy chia danh sách thành nhiều tệp." in response.text
    assert factory_count_imports(app) == 0


def test_scope_a_file_never_pulls_in_people_of_another_commune_and_never_changes_officials(app, factory, village):
    from lms.places.models import Commune

    with app.app_context():
        province = db.session.get(Commune, DEMO_COMMUNE).province_code
        neighbour = db.session.scalar(
            select(Commune.code).where(Commune.province_code == province, Commune.code != DEMO_COMMUNE).limit(1)
        )
    outsider = factory.user(phone="0912300051", name="Người Vũng Tàu", commune=OTHER_COMMUNE)
    next_door = factory.user(phone="0912300052", name="Người Xã Bên", commune=neighbour)
    colleague = factory.user(phone="0912300053", name="Cán Bộ Khác", role="commune_official", role_commune=DEMO_COMMUNE)
    team = factory.team(village)
    rows = [("Người Vũng Tàu", "0912300051", "", "", "", ""), ("Người Xã Bên", "0912300052", "", "", "", "")]
    client, _, _, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    before = snapshot(app)
    import_id = import_id_of(upload(client, csv_bytes(rows), kind="members", team=team))
    errors = errors_of(app, import_id)
    neutral = "Không thêm được số này. Chỉ thêm được người đã có tài khoản"
    assert [e[0][1][: len(neutral)] for e in (errors[2], errors[3])] == [neutral, neutral]
    assert roster(app, import_id).status == "rejected" and snapshot(app) == before
    # A province official manages the neighbour commune too: that resident joins, the other
    # province's stays out, with the same words.
    province_client, _, _, _ = login_as(app, factory, role="province_official", province=province)
    import_id = import_id_of(upload(province_client, csv_bytes(rows), kind="members", team=team))
    errors = errors_of(app, import_id)
    assert list(errors) == [2] and errors[2][0][1].startswith(neutral)
    only_next_door = import_id_of(upload(province_client, csv_bytes(rows[1:]), kind="members", team=team))
    confirm(province_client, only_next_door)
    with app.app_context():
        assert db.session.scalars(select(TeamMembership.user_id).where(TeamMembership.team_id == team)).all() == [next_door]
        assert db.session.get(User, next_door).home_commune_code == neighbour  # scope never moves anyone
        assert db.session.get(User, outsider).household_id is None
    # Existing accounts are matched and never modified, an official's no more than anyone's:
    # no household, no new name; no empty household is made for them either.
    resident = factory.user(phone="0912300054", name="Hồ Thị Nhà")
    rows = [
        ("Cán Bộ Khác", "0912300053", "1970", "Thôn Đông", "Số 9", ""),
        ("Hồ Thị Nhà", "0912300054", "1971", "Đông", "Số 9", ""),
    ]
    import_id = import_id_of(upload(client, csv_bytes(rows)))
    row = roster(app, import_id)
    assert (row.status, row.matched_count, row.detail["counts"]["households"]) == ("preview", 2, 0)
    confirm(client, import_id)
    for person in (colleague, resident):
        user = factory.get_user(person)
        assert (user.household_id, user.birth_year) == (None, None)
    assert factory.count(Household) == 0


def test_places_outside_the_scope_are_not_found(app, factory):
    other_team = factory.team(factory.village(commune=OTHER_COMMUNE, name="Thôn Xa"))
    client, _, _, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    assert client.get(f"/rosters/new?commune={OTHER_COMMUNE}").status_code == 404
    assert client.get("/rosters/new?commune=99999").status_code == 404
    response = upload(client, csv_bytes([("Lê Văn Một", "0912300061", "", "", "", "")]), kind="members", team=other_team)
    assert response.status_code == 422
    assert "Bạn hãy chọn tổ của Phường Ba Đình để nhập thành viên." in response.text
    assert 'value="members" checked' in response.text or "checked" in response.text  # the choice is kept
    assert factory_count_imports(app) == 0


def test_confirm_twice_writes_once_and_a_row_gone_bad_since_the_preview_rejects_all(app, factory, official, village):
    client, _ = official
    rows = [("Mai Văn Một", "0912300071", "", "", "", ""), ("Mai Văn Hai", "0912300072", "", "", "", "")]
    import_id = import_id_of(upload(client, csv_bytes(rows)))
    page = client.get(f"/rosters/{import_id}")
    token = csrf_from(page.text)
    for _ in range(2):  # a double click
        assert client.post(f"/rosters/{import_id}/confirm", data={"csrf_token": token}).status_code == 302
    assert factory.count(User, User.phone.in_(["+84912300071", "+84912300072"])) == 2
    # Between the preview and the confirmation, one number registered in another commune:
    # the whole file is refused and nothing of it is written.
    rows = [("Mai Văn Ba", "0912300073", "", "", "", ""), ("Mai Văn Bốn", "0912300074", "", "", "", "")]
    import_id = import_id_of(upload(client, csv_bytes(rows)))
    assert roster(app, import_id).status == "preview"
    factory.user(phone="0912300074", name="Mai Văn Bốn", commune=OTHER_COMMUNE)
    before = snapshot(app)
    confirm(client, import_id)
    row = roster(app, import_id)
    assert row.status == "rejected" and list(errors_of(app, import_id)) == [3]
    assert snapshot(app) == before


def test_an_import_that_dies_halfway_leaves_nothing_and_can_run_again(app, factory, official, village, monkeypatch):
    from lms.places import rosters

    client, _ = official
    team = factory.team(village)
    rows = [(f"Người Số {chr(65 + i)}", f"09123001{i:02d}", "", "Thôn Đông", f"Nhà {chr(65 + i)}", "") for i in range(7)]
    import_id = import_id_of(upload(client, csv_bytes(rows), kind="members", team=team))
    assert roster(app, import_id).status == "preview"
    monkeypatch.setattr(rosters, "BATCH", 3)  # three batches: the first two are written, then
    real_write = rosters.Pass._write
    calls = []

    def dying_write(self, *args):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the server went down")
        return real_write(self, *args)

    monkeypatch.setattr(rosters.Pass, "_write", dying_write)
    before = snapshot(app)
    confirm(client, import_id)
    assert len(calls) == 3
    row = roster(app, import_id)
    assert row.status == "failed" and row.stored_path  # kept, to run again
    assert snapshot(app) == before  # the first two batches were rolled back with the rest
    page = client.get(f"/rosters/{import_id}").text
    assert "Việc nhập bị dừng: chưa có gì được ghi" in page and "Chạy lại" in page
    progress = client.get(f"/rosters/{import_id}/progress").get_json()
    assert progress["status"] == "failed" and progress["finished"] is True
    monkeypatch.setattr(rosters.Pass, "_write", real_write)
    response = client.post(f"/rosters/{import_id}/retry", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    row = roster(app, import_id)
    assert row.status == "done" and row.created_count == 7
    assert factory.count(TeamMembership, TeamMembership.team_id == team) == 7
    assert factory.count(Household) == 7


def test_counts_hold_across_batches(app, factory, official, village, monkeypatch):
    from lms.places import rosters

    client, _ = official
    monkeypatch.setattr(rosters, "BATCH", 2)
    existing = factory.user(phone="0912300095", name="Người Có Sẵn")
    rows = [(f"Người Thứ {chr(65 + i)}", f"09123000{90 + i}", "", "Thôn Đông", "Nhà chung" if i < 4 else "Nhà riêng", "")
            for i in range(6)]  # fmt: skip
    rows[5] = ("Người Có Sẵn", "0912300095", "", "Thôn Đông", "Nhà riêng", "")
    import_id = import_id_of(upload(client, csv_bytes(rows + [("Người Thứ A", "0912300090", "", "", "", "")])))
    assert list(errors_of(app, import_id)) == [8]  # the duplicate is found in a later batch too
    import_id = import_id_of(upload(client, csv_bytes(rows)))
    row = roster(app, import_id)
    assert (row.created_count, row.matched_count, row.detail["counts"]["households"]) == (5, 1, 2)
    confirm(client, import_id)
    assert factory.count(Household) == 2
    with app.app_context():
        shared = db.session.scalars(select(User.household_id).where(User.full_name.like("Người Thứ%"))).all()
        assert len(set(shared)) == 2 and None not in shared
    assert factory.get_user(existing).household_id is None


def test_inline_job_and_progress_json(app, official, village):
    client, _ = official
    import_id = import_id_of(upload(client, (FIXTURES / "good.csv").read_bytes()))
    progress = client.get(f"/rosters/{import_id}/progress").get_json()
    assert progress == {
        "id": import_id,
        "status": "preview",
        "phase": "check",
        "processed": 5,
        "total": 5,
        "created": 5,
        "matched": 0,
        "errors": 0,
        "finished": True,
        "stale": False,
    }
    confirm(client, import_id)
    progress = client.get(f"/rosters/{import_id}/progress").get_json()
    assert (progress["status"], progress["phase"], progress["processed"], progress["finished"]) == ("done", "apply", 5, True)


# Redis databases of their own (others: 0 and 11-15).
REDIS_URL = "redis://127.0.0.1:6379/9"


def _app_with_queue(make_app, roster_dir, url: str):
    import redis

    # Redis runs on the project's machines and .ci/test starts one when it is missing: never skip.
    connection = redis.Redis.from_url(url)
    connection.ping()
    connection.flushdb()
    yield make_app(REDIS_URL=url, ROSTER_INLINE_BYTES=0, ROSTER_DIR=str(roster_dir))
    connection.flushdb()
    connection.close()


@pytest.fixture
def redis_app(app, make_app, roster_dir):
    yield from _app_with_queue(make_app, roster_dir, REDIS_URL)


@pytest.fixture
def redis_app_2(app, make_app, roster_dir):
    # A Redis database of its own: tests run in parallel (xdist) must not empty each other's.
    yield from _app_with_queue(make_app, roster_dir, "redis://127.0.0.1:6379/10")


def _work(queued_app) -> None:
    from rq import SimpleWorker

    from lms.places import jobs

    with queued_app.app_context():
        q = jobs.queue()
        SimpleWorker([q], connection=q.connection).work(burst=True, with_scheduler=False, logging_level="WARNING")


def test_with_a_queue_the_worker_checks_and_writes_and_the_page_shows_progress(redis_app, factory):
    from lms.places import jobs

    village = factory.village(name="Thôn Đông")
    client, _, _, _ = login_as(redis_app, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    import_id = import_id_of(upload(client, (FIXTURES / "good.csv").read_bytes()))
    page = client.get(f"/rosters/{import_id}").text
    assert 'id="roster-progress"' in page and "roster.js" in page and "<script>" not in page
    assert 'data-text-checking="Đang kiểm tra: đã đọc {processed} dòng…"' in page
    progress = client.get(f"/rosters/{import_id}/progress").get_json()
    assert (progress["status"], progress["finished"], progress["total"]) == ("queued", False, None)
    _work(redis_app)
    assert roster(redis_app, import_id).status == "preview"
    # Writing: queued, then the worker; the progress counts the rows it wrote.
    confirm(client, import_id)
    assert client.get(f"/rosters/{import_id}/progress").get_json()["status"] == "queued"
    assert factory.count(User, User.phone == "+84912300001") == 0
    _work(redis_app)
    progress = client.get(f"/rosters/{import_id}/progress").get_json()
    assert (progress["status"], progress["processed"], progress["total"], progress["finished"]) == ("done", 5, 5, True)
    with redis_app.app_context():
        assert db.session.scalar(select(User.household_id).where(User.phone == "+84912300001")) is not None
        assert db.session.get(Village, village) is not None
    # A run whose worker was killed: still "running", and its heartbeat gone. The page calls it
    # stopped, and running it again works (it had written nothing).
    rows = [("Kha Văn Một", "0912300081", "", "", "", "")]
    stale_id = import_id_of(upload(client, csv_bytes(rows)))
    _work(redis_app)
    confirm(client, stale_id)
    with redis_app.app_context():
        row = db.session.get(RosterImport, stale_id)
        row.status = "running"
        db.session.commit()
        jobs.queue().connection.delete(jobs._progress_key(stale_id))
        jobs.queue().empty()
    progress = client.get(f"/rosters/{stale_id}/progress").get_json()
    assert (progress["status"], progress["stale"]) == ("failed", True)
    page = client.get(f"/rosters/{stale_id}").text
    assert "Chạy lại" in page
    client.post(f"/rosters/{stale_id}/retry", data={"csrf_token": csrf_from(page)})
    _work(redis_app)
    assert roster(redis_app, stale_id).status == "done"
    assert factory.count(User, User.phone == "+84912300081") == 1


def test_a_queue_that_does_not_answer_fails_the_import_with_a_message(redis_app_2, factory, monkeypatch):
    from redis.exceptions import ConnectionError as RedisDown
    from rq import Queue

    def down(*_args, **_kwargs):
        raise RedisDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(Queue, "enqueue", down)
    client, _, _, _ = login_as(redis_app_2, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    import_id = import_id_of(upload(client, csv_bytes([("Kha Văn Hai", "0912300082", "", "", "", "")])))
    row = roster(redis_app_2, import_id)
    assert row.status == "failed" and "Hàng đợi xử lý nền đang không hoạt động" in row.detail["failure"]
    page = client.get(f"/rosters/{import_id}").text
    assert "Hàng đợi xử lý nền đang không hoạt động" in page and "Chạy lại" in page


def test_the_reports_counters_after_an_import_equal_a_rebuild(app, factory, official, village, cert_key, monkeypatch):
    """New households (announced a batch at a time) and new members, one of them with a
    certificate already: the counters kept equal what rollups-rebuild computes."""
    from lms.places import rosters
    from lms.reports import rollups
    from tests.cert_helpers import complete_course
    from tests.test_rollups import snapshot as counters

    client, _ = official
    monkeypatch.setattr(rosters, "BATCH", 3)
    team = factory.team(village)
    learned = factory.user(phone="0912300099", name="Người Đã Học")
    complete_course(app, learned)
    rows = [(f"Người Mới {chr(65 + i)}", f"09123001{60 + i}", "", "Thôn Đông", f"Nhà {i // 2}", "") for i in range(7)]
    rows.append(("Người Đã Học", "0912300099", "", "", "", ""))
    confirm(client, import_id_of(upload(client, csv_bytes(rows), kind="members", team=team)))
    with app.app_context():
        kept = counters()
        assert kept[("rollups", "village", str(village), rollups.NO_COURSE)][4] == 4  # households
        assert any(key[:3] == ("rollups", "team", str(team)) and values[3] == 1 for key, values in kept.items())
        rollups.rebuild()
        db.session.commit()
        assert counters() == kept


def test_a_template_downloaded_in_english_reads_back_with_every_column(app, official):
    """The template's headers follow the interface language; an English one must import too."""
    from lms.places import rosters

    client, _ = official
    client.get("/?lang=en")
    header = client.get("/rosters/template.csv").data.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[0] == "Full name" and "Phone number" in header
    found = rosters.header_key  # how an uploaded header is compared
    keys = [rosters._ALIASES.get(found(cell)) for cell in header]
    assert keys == [column.key for column in rosters.COLUMNS]
