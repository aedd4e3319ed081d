"""Shipped content, content-check errors, content-sync behaviour and lesson pages."""

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from lms import PROJECT_ROOT
from lms.catalog.content import load_content
from lms.catalog.models import Course, Lesson, Module, Question, QuestionVersion
from lms.core.extensions import db
from lms.quizzes.models import QuizAttempt


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
    result = runner.invoke(args=["lms", "content-check", "--strict"])
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
    from tests.factories import login_as

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


# --- taught_in, key facts, review dates: small content trees built from scratch ---------------

FACT = "Tổng đài 111 bảo vệ trẻ em miễn phí, nghe máy cả ngày lẫn đêm."
FILLER = "Bài học này dùng câu văn mẫu cho đủ độ dài, người học đọc chậm và hỏi lại khi chưa rõ. " * 20


def _lesson_file(slug: str, order: int, fact: str, *, audience="all", reviewed=None, sources=None, last=False) -> str:
    front = {"title": f"Bài {order}", "slug": slug, "audience": audience, "minutes": 5, "order": order}
    front["reviewed"] = reviewed if reviewed is not None else date.today() - timedelta(days=30)
    front["sources"] = sources if sources is not None else [
        {"title": "Cổng thông tin Chính phủ", "url": "https://chinhphu.vn", "date": date(2026, 1, 5)}
    ]  # fmt: skip
    front = {key: value for key, value in front.items() if value != "omit"}
    ending = "\n\n## Nguồn tham khảo\n\n- Cổng thông tin Chính phủ\n" if last else "\n"
    return "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n\n" + fact + "\n\n" + FILLER + ending


def _question(number: int, module: str, taught_in="omit") -> dict:
    item = {"id": f"{module[:2]}-{number:03d}", "type": "single", "audience": "all",
            "prompt": "Trẻ em cần giúp đỡ thì gọi số nào?",
            "options": [{"id": "a", "text": "Gọi tổng đài 111", "correct": True}, {"id": "b", "text": "Gọi số lạ"},
                        {"id": "c", "text": "Không gọi ai"}],
            "explanation": "Tổng đài 111 miễn phí."}  # fmt: skip
    if taught_in != "omit":
        item["taught_in"] = taught_in
    return item


def build_tree(root: Path, modules=("x1-thu-nghiem", "x2-khac")) -> Path:
    """Two officials' modules, three lessons each (the first teaches FACT), 15 questions each."""
    (root / "quizzes").mkdir(parents=True)
    for module in modules:
        folder = root / "courses" / "modules" / module
        folder.mkdir(parents=True)
        manifest = {"slug": module, "title": f"Học phần {module}", "summary": "Tóm tắt.", "objectives": ["Mục tiêu."],
                    "sources": ["Cổng thông tin Chính phủ", {"title": "Báo Nhân Dân", "date": date(2026, 2, 1)}]}  # fmt: skip
        (folder / "module.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")
        for order, slug in enumerate((f"{module[:2]}-goi-111", f"{module[:2]}-hai", f"{module[:2]}-ba"), start=1):
            fact = FACT if order == 1 else "Một bài khác."
            text = _lesson_file(slug, order, fact, last=order == 3)
            (folder / f"0{order}-{slug}.md").write_text(text, encoding="utf-8")
        bank = {"module": module, "questions": [_question(n, module, f"{module[:2]}-goi-111") for n in range(1, 16)]}
        (root / "quizzes" / f"{module}.yaml").write_text(yaml.safe_dump(bank, allow_unicode=True), encoding="utf-8")
    course = {"slug": "thu", "title": "Khóa thử", "audience": "officials", "summary": "Tóm tắt.", "who_for": "Cán bộ.",
              "certificate_title": "Chứng nhận", "questions_per_attempt": 10,
              "modules": [{"slug": module, "required": True} for module in modules]}  # fmt: skip
    (root / "courses" / "thu.yaml").write_text(yaml.safe_dump(course, allow_unicode=True), encoding="utf-8")
    return root


def edit_bank(root: Path, module: str, change) -> None:
    path = root / "quizzes" / f"{module}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data["questions"][0])
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def check(runner, root: Path, *flags):
    return runner.invoke(args=["lms", "content-check", "--root", str(root), *flags])


def test_small_tree_with_taught_in_and_dated_sources_passes_strict(runner, tmp_path):
    result = check(runner, build_tree(tmp_path), "--strict")
    assert result.exit_code == 0, result.output
    assert "1 khóa học, 2 học phần, 6 bài học, 30 câu hỏi" in result.output
    assert "cảnh báo" not in result.output


TAUGHT_IN_CASES = [
    ("missing", lambda q: q.pop("taught_in"), "x1-001: thiếu 'taught_in' (slug của bài học dạy câu này)"),
    ("unknown", lambda q: q.update(taught_in="khong-co"),
     "x1-001: taught_in 'khong-co' không phải bài học của học phần x1-thu-nghiem"),
    ("other_module", lambda q: q.update(taught_in=["x1-goi-111", "x2-goi-111"]),
     "x1-001: taught_in 'x2-goi-111' không phải bài học của học phần x1-thu-nghiem; bài này thuộc học phần x2-khac"),
    ("not_a_slug_list", lambda q: q.update(taught_in={"slug": "x1-goi-111"}),
     "x1-001: 'taught_in' phải là một slug bài học hoặc danh sách slug"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "change", "message"), TAUGHT_IN_CASES, ids=[c[0] for c in TAUGHT_IN_CASES])
def test_question_must_name_a_lesson_of_its_own_module(runner, tmp_path, name, change, message):
    root = build_tree(tmp_path)
    edit_bank(root, "x1-thu-nghiem", change)
    result = check(runner, root)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if message in line]
    assert lines, result.output
    path, line, _ = lines[0].split(":", 2)
    assert path == "quizzes/x1-thu-nghiem.yaml" and int(line) > 1


def test_taught_in_may_name_several_lessons_of_the_module(runner, tmp_path):
    root = build_tree(tmp_path)
    edit_bank(root, "x1-thu-nghiem", lambda q: q.update(taught_in=["x1-hai", "x1-goi-111"]))
    assert check(runner, root).exit_code == 0


def test_question_for_everyone_cannot_be_taught_only_in_a_members_lesson(runner, tmp_path):
    root = build_tree(tmp_path)
    lesson = root / "courses" / "modules" / "x1-thu-nghiem" / "01-x1-goi-111.md"
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("audience: all", "audience: members"), encoding="utf-8")
    result = check(runner, root)
    assert result.exit_code == 1
    assert "x1-001: câu dành cho mọi khóa nhưng bài 'x1-goi-111' chỉ có trong khóa thành viên" in result.output


def test_key_fact_missing_from_the_named_lesson_fails(runner, tmp_path):
    root = build_tree(tmp_path)
    edit_bank(root, "x1-thu-nghiem", lambda q: q.update(taught_in="x1-hai"))
    result = check(runner, root)
    assert result.exit_code == 1
    assert "x1-001: '111' không có nguyên văn trong bài x1-hai" in result.output
    assert "x1-001: bài x1-hai thiếu ý «Gọi tổng đài 111»" in result.output
    assert "x1-002:" not in result.output


def test_numbers_and_codes_in_the_explanation_must_be_verbatim(runner, tmp_path):
    root = build_tree(tmp_path)
    edit_bank(root, "x1-thu-nghiem", lambda q: q.update(explanation="Tổng đài 111 miễn phí; báo lừa đảo qua 156 hoặc TCTM."))
    result = check(runner, root)
    assert result.exit_code == 1
    assert "x1-001: '156' không có nguyên văn trong bài x1-goi-111" in result.output
    assert "x1-001: 'tctm' không có nguyên văn trong bài x1-goi-111" in result.output
    assert "'111'" not in result.output


def test_correct_option_needs_sixty_percent_of_its_words_in_the_lesson(runner, tmp_path):
    root = build_tree(tmp_path)
    # 3 of 5 syllables (bảo, vệ, trẻ) and 2 of 4 pairs (bảo vệ, vệ trẻ) are in the lesson: passes...
    edit_bank(root, "x1-thu-nghiem", lambda q: q["options"][0].update(text="Bảo vệ trẻ, gửi thư"))
    assert "x1-001" not in check(runner, root).output
    # ...2 of 5 syllables (40 %) does not, whatever the wrong options say.
    edit_bank(root, "x1-thu-nghiem", lambda q: q["options"][0].update(text="Bảo vệ, nhắn thư riêng"))
    result = check(runner, root)
    assert result.exit_code == 1
    assert "x1-001: bài x1-goi-111 thiếu ý «Bảo vệ, nhắn thư riêng»: chỉ có 2/5 tiếng (cần ≥ 60%)" in result.output


def test_words_present_but_scattered_fail_on_the_two_syllable_words(runner, tmp_path):
    root = build_tree(tmp_path)
    # Every syllable appears somewhere in the lesson, but not one of its pairs does.
    edit_bank(root, "x1-thu-nghiem", lambda q: q["options"][0].update(text="Đêm bảo máy nghe miễn"))
    result = check(runner, root)
    assert result.exit_code == 1
    assert "chỉ có 0/4 cụm hai tiếng (cần ≥ 50%)" in result.output
    assert "tiếng (cần ≥ 60%)" not in result.output


def test_diacritics_are_kept_so_a_word_without_them_does_not_match(runner, tmp_path):
    root = build_tree(tmp_path)
    edit_bank(root, "x1-thu-nghiem", lambda q: q["options"][0].update(text="Tong dai 111 mien phi"))
    result = check(runner, root)
    assert result.exit_code == 1
    assert "thiếu: tong, dai, mien, phi" in result.output


def test_true_false_is_judged_by_its_explanation(runner, tmp_path):
    root = build_tree(tmp_path)

    def to_true_false(q):
        q.update(type="true_false", answer=True, prompt="Gọi 111 thì mất phí.", explanation="Sai: Tổng đài 111 miễn phí.")
        q.pop("options")

    edit_bank(root, "x1-thu-nghiem", to_true_false)
    assert check(runner, root).exit_code == 0
    edit_bank(root, "x1-thu-nghiem", lambda q: q.update(explanation="Cước gọi do nhà mạng quy định riêng."))
    result = check(runner, root)
    assert result.exit_code == 1
    assert "x1-001: bài x1-goi-111 thiếu ý «Cước gọi do nhà mạng quy định riêng.»" in result.output


def _edit_lesson(root: Path, **front) -> Path:
    path = root / "courses" / "modules" / "x1-thu-nghiem" / "02-x1-hai.md"
    path.write_text(_lesson_file("x1-hai", 2, "Một bài khác.", **front), encoding="utf-8")
    return path


def test_lesson_reviewed_over_twelve_months_ago_warns_and_strict_fails(runner, tmp_path):
    root = build_tree(tmp_path)
    old = date.today() - timedelta(days=380)
    _edit_lesson(root, reviewed=old)
    relaxed = check(runner, root)
    assert relaxed.exit_code == 0, relaxed.output
    where = "courses/modules/x1-thu-nghiem/02-x1-hai.md:2"
    warning = f"{where}: cảnh báo: bài xem lại lần cuối ngày {old.isoformat()}, đã quá 12 tháng"
    assert warning in relaxed.output
    assert "1 cảnh báo (--strict coi là lỗi)." in relaxed.output
    strict = check(runner, root, "--strict")
    assert strict.exit_code == 1
    assert warning in strict.output and "1 lỗi, 1 cảnh báo." in strict.output


def test_lesson_reviewed_eleven_months_ago_is_fine(runner, tmp_path):
    root = build_tree(tmp_path)
    _edit_lesson(root, reviewed=date.today() - timedelta(days=330))
    assert check(runner, root, "--strict").exit_code == 0


def test_review_date_written_with_a_time_counts_by_its_day(tmp_path):
    root = build_tree(tmp_path)
    _edit_lesson(root, reviewed=datetime(2027, 2, 28, 9, 30))
    for today, stale in ((date(2028, 2, 29), 0), (date(2028, 3, 1), 1)):
        problems = [p for p in load_content(root, today=today)[1] if p.path.endswith("02-x1-hai.md")]
        assert len(problems) == stale and all("đã quá 12 tháng" in p.message for p in problems)


def test_review_date_is_twelve_calendar_months_even_from_a_leap_day(tmp_path):
    root = build_tree(tmp_path)
    _edit_lesson(root, reviewed=date(2027, 2, 28))
    _, problems = load_content(root, today=date(2028, 2, 29))
    assert [p.message for p in problems if p.path.endswith("02-x1-hai.md")] == []
    _, problems = load_content(root, today=date(2028, 3, 1))
    assert [p.message for p in problems if p.path.endswith("02-x1-hai.md")] == [
        "bài xem lại lần cuối ngày 2027-02-28, đã quá 12 tháng: hãy đối chiếu lại nguồn"
    ]


REVIEW_CASES = [
    ("no_reviewed", {"reviewed": "omit"}, "cảnh báo: thiếu 'reviewed'; ghi ngày xem lại bài dạng YYYY-MM-DD"),
    ("month_only", {"reviewed": "2026-11"}, "cảnh báo: 'reviewed: 2026-11' không phải ngày đầy đủ"),
    ("in_the_future", {"reviewed": date.today() + timedelta(days=3)}, "ở tương lai"),
    ("no_sources", {"sources": "omit"}, "cảnh báo: thiếu 'sources'"),
    ("undated_source", {"sources": [{"title": "Báo Nhân Dân", "url": "https://nhandan.vn"}]},
     "cảnh báo: nguồn 'Báo Nhân Dân' thiếu 'date'"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "front", "message"), REVIEW_CASES, ids=[c[0] for c in REVIEW_CASES])
def test_missing_review_date_or_sources_warn_and_strict_fails(runner, tmp_path, name, front, message):
    root = build_tree(tmp_path)
    _edit_lesson(root, **front)
    relaxed = check(runner, root)
    assert relaxed.exit_code == 0, relaxed.output
    assert "courses/modules/x1-thu-nghiem/02-x1-hai.md:" in relaxed.output and message in relaxed.output
    assert check(runner, root, "--strict").exit_code == 1


def test_malformed_source_is_an_error_without_strict(runner, tmp_path):
    root = build_tree(tmp_path)
    _edit_lesson(root, sources=["Báo Nhân Dân", {"title": "Chính phủ", "url": "chinhphu.vn", "date": date(2026, 1, 1)}])
    result = check(runner, root)
    assert result.exit_code == 1
    assert "mỗi nguồn cần 'title' (tên văn bản, trang hoặc bài báo)" in result.output
    assert "nguồn 'Chính phủ': url phải bắt đầu bằng http:// hoặc https://" in result.output


def test_module_sources_may_be_strings_or_dated_mappings(app, tmp_path):
    bundle, problems = load_content(build_tree(tmp_path))
    assert problems == []
    assert bundle.modules["x1-thu-nghiem"].sources == ["Cổng thông tin Chính phủ", "Báo Nhân Dân (01/02/2026)"]


def test_sync_loads_content_with_editorial_problems_but_says_so(app, runner, tmp_path, content_changes):
    root = build_tree(tmp_path)
    edit_bank(root, "x1-thu-nghiem", lambda q: q.pop("taught_in"))
    assert check(runner, root).exit_code == 1
    result = _sync(runner, root)
    assert result.exit_code == 0, result.output
    assert "Lưu ý: nội dung còn 1 vấn đề; chạy flask lms content-check." in result.output
    with app.app_context():
        assert db.session.scalar(select(Question).where(Question.key == "x1-001")) is not None


def test_result_page_links_each_wrong_answer_to_its_lesson(app, runner, factory, make_app, tmp_path, content_changes):
    from tests.factories import Auth, csrf_from, next_phone
    from tests.quiz_helpers import answer_key, form_data

    root = build_tree(tmp_path)
    edit_bank(root, "x1-thu-nghiem", lambda q: q.update(taught_in=["x1-goi-111", "x1-hai"]))
    assert _sync(runner, root).exit_code == 0
    site = make_app(CONTENT_ROOT=str(root))
    client = site.test_client()
    phone = next_phone()
    factory.user(phone=phone)
    assert Auth(client).login(phone).status_code == 302
    quiz = "/courses/thu/x1-thu-nghiem/quiz"
    started = client.post(f"{quiz}/start", data={"csrf_token": csrf_from(client.get(quiz).text)})
    attempt_id = int(started.headers["Location"].rsplit("/", 1)[1])
    answers = answer_key(app, attempt_id, right=4)  # the first 4 right, 6 wrong
    token = csrf_from(client.get(f"/attempts/{attempt_id}").text)
    client.post(f"/attempts/{attempt_id}", data=MultiDict([("csrf_token", token), ("submit", "1"), *form_data(answers)]))
    html = client.get(f"/attempts/{attempt_id}/result").text
    assert "Kết quả: 4/10 câu đúng (40%)" in html
    first = '<a href="/courses/thu/x1-thu-nghiem/x1-goi-111">Bài 1</a>'
    assert html.count("Xem lại bài:") == 6 and html.count(first) == 6
    with app.app_context():
        items = db.session.get(QuizAttempt, attempt_id).items
        keys = [db.session.get(QuestionVersion, item["version_id"]).question.key for item in items]
    both = first + ', <a href="/courses/thu/x1-thu-nghiem/x1-hai">Bài 2</a>'
    assert html.count(both) == (1 if "x1-001" in keys[4:] else 0)
    cards = html.split('<li class="card ')[1:]
    assert all("Xem lại bài:" not in card for card in cards if card.startswith("right"))
