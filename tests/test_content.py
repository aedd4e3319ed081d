"""Shipped content, content-check errors, content-sync behaviour and lesson pages."""

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from lms import PROJECT_ROOT
from lms.catalog.content import load_content
from lms.catalog.models import Course, Lesson, Module, Question, QuestionVersion
from lms.core.extensions import db


@pytest.fixture
def content_copy(tmp_path):
    for folder in ("courses", "quizzes"):
        shutil.copytree(PROJECT_ROOT / folder, tmp_path / folder)
    return tmp_path


def test_shipped_content_is_valid_and_complete():
    bundle, problems = load_content(PROJECT_ROOT)
    assert [str(p) for p in problems] == []
    assert sorted(bundle.courses) == ["can-bo", "nguoi-dan", "thanh-vien"]
    assert len(bundle.modules) == 16
    total = sum(len(m.questions) for m in bundle.modules.values())
    assert total >= 240
    for slug, module in bundle.modules.items():
        assert len(module.questions) >= 15, slug
        assert 3 <= len([lesson for lesson in module.lessons if lesson.audience == "all"]) <= 5, slug
        types = {q.type for q in module.questions}
        assert types == {"single", "multiple", "true_false"}, slug
        if slug.startswith("b"):
            assert sum(q.audience == "members" for q in module.questions) >= 3, slug
            assert any(lesson.audience == "members" for lesson in module.lessons), slug
    assert bundle.courses["thanh-vien"].modules == bundle.courses["nguoi-dan"].modules


def test_content_check_command_passes_on_shipped_content(runner):
    result = runner.invoke(args=["lms", "content-check"])
    assert result.exit_code == 0, result.output
    assert "3 khóa học, 16 học phần" in result.output


def test_sync_twice_changes_nothing(app, runner):
    result = runner.invoke(args=["lms", "content-sync"])
    assert result.exit_code == 0
    assert "Không có gì thay đổi." in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Course).where(Course.is_retired.is_(False))) == 3
        assert db.session.scalar(select(func.count()).select_from(Module)) == 16
        assert db.session.scalar(select(func.count()).select_from(Question)) >= 240


def _sync(runner, root: Path):
    return runner.invoke(args=["lms", "content-sync", "--root", str(root)])


def test_editing_a_question_creates_a_new_version(app, runner, content_copy, content_changes):
    with app.app_context():
        question = db.session.scalar(select(Question).where(Question.key == "b01-001"))
        old_version_id = question.current_version_id
        old_prompt = question.current_version.prompt
    bank = content_copy / "quizzes" / "b01-trinh-duyet.yaml"
    bank.write_text(bank.read_text(encoding="utf-8").replace(old_prompt, "Trang nào là Cổng Dịch vụ công quốc gia?", 1),
                    encoding="utf-8")  # fmt: skip
    result = _sync(runner, content_copy)
    assert result.exit_code == 0, result.output
    assert "câu hỏi: 1 updated" in result.output
    with app.app_context():
        question = db.session.scalar(select(Question).where(Question.key == "b01-001"))
        assert question.current_version_id != old_version_id
        assert question.current_version.version == 2
        assert question.current_version.prompt == "Trang nào là Cổng Dịch vụ công quốc gia?"
        assert db.session.get(QuestionVersion, old_version_id).prompt == old_prompt


def test_removed_content_is_retired_not_deleted(app, runner, content_copy, content_changes):
    lesson_file = next((content_copy / "courses" / "modules" / "b12-giai-tri").glob("05-*.md"))
    lesson_slug = lesson_file.stem[3:]
    lesson_file.unlink()
    bank = content_copy / "quizzes" / "b12-giai-tri.yaml"
    data = yaml.safe_load(bank.read_text(encoding="utf-8"))
    data["questions"] = [q for q in data["questions"] if q["id"] != "b12-001"]
    bank.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = _sync(runner, content_copy)
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(Question).where(Question.key == "b12-001")).is_retired
        lesson = db.session.scalar(select(Lesson).join(Module).where(Lesson.slug == lesson_slug, Module.slug == "b12-giai-tri"))
        assert lesson is not None and lesson.is_retired


BAD_CASES = [
    ("broken_yaml", "quizzes/b01-trinh-duyet.yaml", lambda t: t.replace("questions:\n", "questions:\n  - id: [oops\n", 1),
     "YAML không đọc được"),
    ("two_correct", "quizzes/b01-trinh-duyet.yaml",
     lambda t: t.replace("{id: a, text: 'dichvucong-gov.com'}", "{id: a, text: 'dichvucong-gov.com', correct: true}", 1),
     "b01-001: câu một lựa chọn cần đúng 1 đáp án đúng, đang có 2"),
    ("duplicate_id", "quizzes/b01-trinh-duyet.yaml", lambda t: t.replace("id: b01-002", "id: b01-001", 1),
     "id câu hỏi 'b01-001' trùng với quizzes/b01-trinh-duyet.yaml"),
    ("script", "courses/modules/b01-trinh-duyet/01-doc-dia-chi-trang.md",
     lambda t: t + "\n<script>alert('x')</script>\n", "có mã HTML/JavaScript nguy hiểm"),
    ("missing_module", "courses/nguoi-dan.yaml", lambda t: t.replace("b12-giai-tri", "b13-khong-co", 1),
     "không có học phần 'b13-khong-co'"),
    ("broken_link", "courses/modules/b01-trinh-duyet/01-doc-dia-chi-trang.md",
     lambda t: t.replace("lesson:b01-trinh-duyet/kiem-tra-trang-nghi-ngo", "lesson:b01-trinh-duyet/khong-co", 1),
     "liên kết tới bài không có: lesson:b01-trinh-duyet/khong-co"),
    ("not_nfc", "courses/modules/b02-cong-tac/module.yaml", lambda t: t.replace("ệ", "e\u0323\u0302", 1),
     "văn bản chưa chuẩn hóa Unicode NFC"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "path", "mutate", "message"), BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_content_is_reported_and_sync_refuses(app, runner, content_copy, name, path, mutate, message):
    target = content_copy / path
    original = target.read_text(encoding="utf-8")
    changed = mutate(original)
    assert changed != original
    target.write_text(changed, encoding="utf-8")
    check = runner.invoke(args=["lms", "content-check", "--root", str(content_copy)])
    assert check.exit_code == 1
    matching = [line for line in check.output.splitlines() if message in line]
    assert matching, check.output
    assert matching[0].split(":")[0] == path
    assert matching[0].split(":")[1].isdigit() and int(matching[0].split(":")[1]) >= 1
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(QuestionVersion))
    sync = _sync(runner, content_copy)
    assert sync.exit_code == 1
    assert "Không nạp gì: cơ sở dữ liệu giữ nguyên." in sync.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QuestionVersion)) == before


def test_missing_lesson_leaves_module_short(content_copy):
    folder = content_copy / "courses" / "modules" / "a1-ke-hoach"
    for lesson in sorted(folder.glob("*.md"))[1:3]:
        lesson.unlink()
    _, problems = load_content(content_copy)
    assert any("học phần có 2 bài; cần từ 3 đến 5" in str(p) for p in problems)


def test_catalogue_lists_three_courses_with_the_right_one_first(app, factory, client):
    from tests.conftest import login_as

    page = client.get("/courses").text
    for title in ("Khóa học dành cho cán bộ chính quyền cấp xã/tỉnh", "phiên bản thành viên", "phiên bản người dân"):
        assert title in page
    official = login_as(app, factory, role="commune_official", role_commune="00004")[0]
    html = official.get("/courses").text
    assert html.index("Khóa học dành cho cán bộ") < html.index("phiên bản người dân")
    citizen = login_as(app, factory)[0]
    html = citizen.get("/courses").text
    assert html.index("phiên bản người dân") < html.index("Khóa học dành cho cán bộ")


def test_lesson_page_renders_with_navigation_and_safe_html(client):
    page = client.get("/courses/nguoi-dan/b01-trinh-duyet/doc-dia-chi-trang")
    assert page.status_code == 200
    html = page.text
    assert "Đọc địa chỉ trang web" in html and "Bài 1/4" in html
    assert 'rel="next" href="/courses/nguoi-dan/b01-trinh-duyet/kiem-tra-trang-nghi-ngo"' in html
    assert 'href="/lessons/b01-trinh-duyet/kiem-tra-trang-nghi-ngo"' in html
    assert "<script" not in html.split("</head>")[1]


def test_member_lesson_only_in_members_course(client):
    assert client.get("/courses/thanh-vien/b01-trinh-duyet/huong-dan-nguoi-khac").status_code == 200
    assert client.get("/courses/nguoi-dan/b01-trinh-duyet/huong-dan-nguoi-khac").status_code == 404
    assert "Bài 1/5" in client.get("/courses/thanh-vien/b01-trinh-duyet/doc-dia-chi-trang").text


def test_internal_lesson_link_opens_the_lesson_in_a_course(client):
    response = client.get("/lessons/b04-tai-khoan/tai-khoan-vneid")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/b04-tai-khoan/tai-khoan-vneid")


def test_unknown_course_module_lesson_are_404(client):
    assert client.get("/courses/khong-co").status_code == 404
    assert client.get("/courses/nguoi-dan/a1-ke-hoach").status_code == 404
    assert client.get("/courses/nguoi-dan/b01-trinh-duyet/khong-co").status_code == 404
    assert client.get("/content/b01-trinh-duyet/module.yaml").status_code == 404
