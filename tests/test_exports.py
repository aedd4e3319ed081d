"""Exports (lms/reports/exports.py and /people/export): CSV as Excel reads it (UTF-8 with BOM,
CRLF), XLSX read back by openpyxl, formula injection neutralised, streamed responses, empty
files with headers, and a people export that holds only what the viewer may see."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest

from lms.core.errors import ValidationFailed
from lms.reports.exports import csv_chunks, export_response, xlsx_chunks
from tests.factories import DEMO_COMMUNE, OTHER_COMMUNE, login_as
from tests.test_people import bulk_people

HEADERS = ["Họ và tên", "Số điện thoại", "Năm sinh"]
HOSTILE = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tthẻ", "\rdòng"]


def read_csv(data: bytes) -> list[list[str]]:
    """As Excel reads it: UTF-8 with its BOM, the excel dialect (comma, quotes, CRLF)."""
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), dialect="excel"))


def read_xlsx(data: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_csv_has_a_bom_crlf_line_ends_and_keeps_diacritics():
    data = b"".join(csv_chunks(HEADERS, [("Nguyễn Thị Ánh", "0912 345 678", 1980), ("Đặng Văn Ơn, con", None, None)]))
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == 3 and b"\n" not in data.replace(b"\r\n", b"")
    assert read_csv(data) == [HEADERS, ["Nguyễn Thị Ánh", "0912 345 678", "1980"], ["Đặng Văn Ơn, con", "", ""]]


def test_a_cell_with_a_line_break_stays_one_cell():
    data = b"".join(csv_chunks(["Ghi chú"], [("dòng một\ndòng hai",)]))
    assert read_csv(data) == [["Ghi chú"], ["dòng một\ndòng hai"]]


def test_csv_neutralises_formula_cells():
    data = b"".join(csv_chunks(["Ô"], [(value,) for value in HOSTILE]))
    cells = [row[0] for row in read_csv(data)[1:]]
    assert cells == ["'" + value for value in HOSTILE]
    # Numbers are numbers, not text that starts with "-".
    assert read_csv(b"".join(csv_chunks(["Số"], [(-5,)])))[1] == ["-5"]


def test_xlsx_reads_back_with_headers_diacritics_numbers_and_dates():
    moment = datetime(2026, 12, 1, 3, 30, tzinfo=UTC)  # 10:30 in Vietnam
    data = b"".join(
        xlsx_chunks(HEADERS + ["Lúc"], [("Nguyễn Thị Ánh", "0912 345 678", 1980, moment), ("Lê Ư", None, None, None)])
    )
    rows = read_xlsx(data)
    assert rows[0] == HEADERS + ["Lúc"]
    assert rows[1] == ["Nguyễn Thị Ánh", "0912 345 678", 1980, datetime(2026, 12, 1, 10, 30)]
    assert rows[2] == ["Lê Ư", None, None, None]
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet["A1"].font.bold


def test_xlsx_neutralises_formula_cells_and_drops_control_characters():
    data = b"".join(xlsx_chunks(["Ô"], [(value,) for value in HOSTILE] + [("a\x00b\x07c",)]))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == ["'" + value for value in HOSTILE] + ["abc"]
    assert all(cell.data_type == "s" for cell in cells)  # text, never a formula


def test_an_empty_export_is_a_valid_file_with_headers():
    assert read_csv(b"".join(csv_chunks(HEADERS, []))) == [HEADERS]
    assert read_xlsx(b"".join(xlsx_chunks(HEADERS, iter(())))) == [HEADERS]


def test_the_response_streams_and_reads_rows_only_while_it_is_sent(app):
    pulled = []

    def rows():
        for number in range(3):
            pulled.append(number)
            yield (f"Người {number}", None, None)

    for fmt in ("csv", "xlsx"):
        pulled.clear()
        with app.test_request_context("/"):
            response = export_response("Người học Ba Đình", HEADERS, rows(), fmt)
            assert response.is_streamed
            assert pulled == []  # nothing read before the body is sent
            body = b"".join(response.response)
        assert pulled == [0, 1, 2]
        assert response.headers["Content-Disposition"] == f'attachment; filename="nguoi-hoc-ba-dinh.{fmt}"'
        assert response.headers["Cache-Control"] == "no-store"
        readback = read_csv(body) if fmt == "csv" else read_xlsx(body)
        assert [row[0] for row in readback] == ["Họ và tên", "Người 0", "Người 1", "Người 2"]
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_an_unknown_format_names_the_field():
    with pytest.raises(ValidationFailed) as caught:
        export_response("x", HEADERS, [], "pdf")
    assert caught.value.field == "format"
    assert caught.value.message == "Định dạng tệp phải là CSV hoặc XLSX."


# --- /people/export -------------------------------------------------------------------------


def test_people_export_holds_the_filtered_people_of_the_viewers_scope(app, factory):
    here = bulk_people(app, 3, names=["Nguyễn Văn Ba", "Trần Thị Bốn", "Lê Văn Năm"])
    bulk_people(app, 2, commune=OTHER_COMMUNE, names=["Người Ở Xa", "Người Khác Ở Xa"])
    client, _, _, _ = login_as(app, factory, name="Cán Bộ Xã", role="commune_official", role_commune=DEMO_COMMUNE)
    response = client.get("/people/export?format=csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = read_csv(response.data)
    assert rows[0] == [
        "Họ và tên",
        "Số điện thoại",
        "Năm sinh",
        "Xã/phường",
        "Tỉnh/thành phố",
        "Khóa học dành cho cán bộ chính quyền cấp xã/tỉnh",
        "Khóa học kỹ năng số — phiên bản người dân",
        "Khóa học kỹ năng Tổ công nghệ số cộng đồng — phiên bản thành viên",
        "Hoạt động gần nhất",
    ]
    assert [row[0] for row in rows[1:]] == ["Cán Bộ Xã", "Lê Văn Năm", "Nguyễn Văn Ba", "Trần Thị Bốn"]
    assert rows[2][3:5] == ["Phường Ba Đình", "Thành phố Hà Nội"]
    assert rows[2][5:8] == ["Chưa ghi danh"] * 3
    assert len(here) == 3
    filtered = read_xlsx(client.get("/people/export?format=xlsx&q=van").data)
    assert [row[0] for row in filtered[1:]] == ["Lê Văn Năm", "Nguyễn Văn Ba"]


def test_people_export_with_a_course_has_that_courses_column_and_statuses(app, factory, cert_key):
    from tests.cert_helpers import complete_course

    (done,) = bulk_people(app, 1, names=["Đã Xong Khóa"])
    complete_course(app, done)
    client, _, _, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    rows = read_csv(client.get("/people/export?format=csv&course=nguoi-dan").data)
    assert rows[0][5:] == ["Khóa học kỹ năng số — phiên bản người dân", "Hoạt động gần nhất"]
    assert rows[1][0] == "Đã Xong Khóa"
    assert rows[1][5] == "Có chứng nhận"
    assert rows[1][6][:4].isdigit()  # a date, as 2026-12-01 10:30


def test_people_export_of_an_empty_scope_is_a_file_with_headers(app, factory):
    from tests.factories import Auth, next_phone

    phone = next_phone()
    leader = factory.user(phone=phone, name="Tổ Trưởng", commune=OTHER_COMMUNE)
    team = factory.team(factory.village(), members=(leader,), leader=leader)
    client = app.test_client()
    assert Auth(client).login(phone).status_code == 302
    rows = read_csv(client.get(f"/people/export?format=csv&team={team}&q=khong co ai").data)
    assert rows == [rows[0]] and rows[0][0] == "Họ và tên"
    assert read_xlsx(client.get(f"/people/export?format=xlsx&team={team}&q=khong co ai").data)[0][0] == "Họ và tên"


def test_people_export_neutralises_a_name_written_as_a_formula(app, factory):
    bulk_people(app, 1, names=['=HYPERLINK("http://lua-dao.example","Bấm vào")'])
    client, _, _, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    rows = read_csv(client.get("/people/export?format=csv&q=%3Dhyperlink").data)
    assert rows[1][0] == '\'=HYPERLINK("http://lua-dao.example","Bấm vào")'
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/people/export?format=xlsx&q=%3Dhyperlink").data)).active
    assert sheet["A2"].data_type == "s"


@pytest.mark.parametrize("fmt", ["pdf", "CSV", "x" * 500])
def test_people_export_refuses_an_unknown_format(app, factory, fmt):
    client, _, _, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    response = client.get("/people/export", query_string={"format": fmt})
    assert response.status_code == 400
    assert "Định dạng tệp phải là CSV hoặc XLSX." in response.text


def test_people_export_is_streamed_in_batches(app, factory):
    bulk_people(app, 1203)
    client, _, _, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    response = client.get("/people/export?format=csv", buffered=False)
    assert response.is_streamed
    rows = read_csv(b"".join(response.response))
    response.close()
    assert len(rows) == 1 + 1204
