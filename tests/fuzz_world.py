"""The world the fuzz test sends its requests into: one account per role, logged in through
the login form, a village and a team, open quiz attempts, a certificate, and the fields of
every form the app's pages show (read once per session from the pages themselves)."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from lms.core.extensions import db, limiter
from tests.cert_helpers import complete_course
from tests.factories import DEMO_COMMUNE, OTHER_COMMUNE, Auth, csrf_from, next_phone
from tests.quiz_helpers import answer_key

ROLES = ("anonymous", "learner", "member", "leader", "commune_official", "province_official", "admin")
MEMBER_COURSE, CITIZEN_COURSE, QUIZ_MODULE = "thanh-vien", "nguoi-dan", "b01-trinh-duyet"
_addresses = itertools.count(1)


@dataclass
class Visitor:
    """One role's browser: a test client logged in as that role's account."""

    role: str
    client: object
    phone: str | None = None
    user_id: int | None = None
    token: str = ""


@dataclass
class World:
    app: object
    factory: object
    visitors: dict[str, Visitor] = field(default_factory=dict)
    path_values: dict[str, list[str]] = field(default_factory=dict)
    own_values: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    answers: dict[str, dict[int, list[str]]] = field(default_factory=dict)
    lessons: list[tuple[str, str, str]] = field(default_factory=list)
    groups: list[tuple[str, str]] = field(default_factory=list)
    field_names: list[str] = field(default_factory=list)
    field_values: list[str] = field(default_factory=list)

    def answer_fields(self, role: str) -> list[tuple[str, str]]:
        """The quiz form's fields for the role's own attempt (five right answers)."""
        return [(f"q{v}", choice) for v, chosen in self.answers.get(role, {}).items() for choice in chosen]

    def json_bodies(self, role: str) -> list[str]:
        """Autosave bodies for the role's own attempt: a valid one first, then wrong types."""
        answers = self.answers.get(role) or self.answers["learner"]
        version = next(iter(answers))
        return [
            json.dumps({"answers": {str(v): chosen for v, chosen in answers.items()}}),
            json.dumps({"answers": {str(version): "a"}}),
            json.dumps({"answers": {str(version): [1, None, {"a": 1}]}}),
            json.dumps({"answers": {str(version): ["a"] * 5000}}),
            json.dumps({"answers": {str(version): None}}),
        ]

    def new_client(self):
        # Each browser its own address, so the per-address login limit of one never blocks another.
        client = self.app.test_client()
        number = next(_addresses)
        client.environ_base["REMOTE_ADDR"] = f"10.0.{number // 250 % 250}.{number % 250 + 1}"
        return client

    def log_in(self, visitor: Visitor) -> None:
        visitor.client = self.new_client()
        auth = Auth(visitor.client)
        if visitor.phone is not None:
            limiter.reset()  # the fuzzer's own wrong logins must not lock the role out
            response = auth.login(visitor.phone)
            assert response.status_code == 302, f"{visitor.role} could not log in again: {response.status_code}"
            visitor.token = csrf_from(visitor.client.get("/").text)
        else:
            visitor.token = csrf_from(visitor.client.get("/login").text)


def form_field_names() -> list[str]:
    """Every field name of every form class of the app."""
    from flask_wtf import FlaskForm
    from wtforms.fields.core import UnboundField

    names: set[str] = set()
    pending = list(FlaskForm.__subclasses__())
    while pending:
        form_class = pending.pop()
        pending.extend(form_class.__subclasses__())
        for klass in form_class.__mro__:
            names.update(name for name, value in vars(klass).items() if isinstance(value, UnboundField))
    templates = Path(__file__).resolve().parent.parent / "lms"
    for template in templates.rglob("*.html"):
        names.update(re.findall(r'name="([A-Za-z_][\w-]*)"', template.read_text(encoding="utf-8")))
    names.discard("csrf_token")
    names.discard("viewport")
    return sorted(names)


class _FormFields(HTMLParser):
    """The POST forms of a page: action, and every field name with the values offered."""

    def __init__(self, page: str):
        super().__init__()
        self.page = page
        self.forms: list[tuple[str, dict[str, set[str]]]] = []
        self.select: str | None = None
        self.inside = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = (attrs.get("method") or "get").lower() == "post"
            if self.inside:
                self.forms.append((attrs.get("action") or self.page, {"-": set()}))
            return
        if not self.inside:
            return
        fields = self.forms[-1][1]
        name = attrs.get("name")
        if tag in ("input", "textarea", "button") and name and name != "csrf_token":
            fields.setdefault(name, set()).add(attrs.get("value") or ("1" if tag == "button" else ""))
            if tag == "button" or attrs.get("type") == "submit":
                submit_buttons.add(name)
        elif tag == "select" and name:
            self.select = name
            fields.setdefault(name, set())
        elif tag == "option" and self.select:
            fields[self.select].add(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "form":
            self.inside = False


# Endpoint -> field name -> values seen in its forms. The forms are the same in every world
# (names, choices, the content's question ids), so the pages are read once per session.
known_forms: dict[str, dict[str, list[str]]] = {}
form_roles: dict[str, list[str]] = {}
submit_buttons: set[str] = set()  # a browser sends only the one that was pressed
QUIZ_FIELD = re.compile(r"^q[0-9]+$")


def read_forms(world: World, pages: list[str]) -> None:
    if known_forms:
        return
    adapter = world.app.url_map.bind("localhost")
    found: dict[str, dict[str, set[str]]] = {}
    for visitor in world.visitors.values():
        for page in pages:
            response = visitor.client.get(page)
            if response.status_code != 200 or "html" not in response.content_type:
                continue
            parser = _FormFields(page)
            parser.feed(response.text)
            for action, fields in parser.forms:
                try:
                    endpoint, _ = adapter.match(urlsplit(action).path, method="POST")
                except HTTPException:
                    continue
                known = found.setdefault(endpoint, {})
                for name, values in fields.items():
                    known.setdefault(name, set()).update(values)
                if visitor.role not in form_roles.setdefault(endpoint, []):
                    form_roles[endpoint].append(visitor.role)
    for endpoint, fields in found.items():
        known_forms[endpoint] = {name: sorted(values) for name, values in sorted(fields.items()) if name != "-"}


def build_world(app, factory) -> World:
    from lms.catalog import services as catalog

    world = World(app=app, factory=factory)
    phones = {role: next_phone() for role in ROLES[1:]}
    village = factory.village()
    learner = factory.user(phone=phones["learner"], name="Trần Thị Học")
    member = factory.user(phone=phones["member"], name="Lê Văn Tổ Viên")
    leader = factory.user(phone=phones["leader"], name="Phạm Thị Tổ Trưởng")
    team = factory.team(village, members=(member, leader), leader=leader)
    official = factory.user(phone=phones["commune_official"], name="Cán Bộ Xã", role="commune_official",
                            role_commune=DEMO_COMMUNE)  # fmt: skip
    with app.app_context():
        from lms.places.models import Commune

        province = db.session.scalar(select(Commune.province_code).where(Commune.code == DEMO_COMMUNE))
    province_official = factory.user(phone=phones["province_official"], name="Cán Bộ Sở", role="province_official",
                                     province=province)  # fmt: skip
    admin = factory.user(phone=phones["admin"], name="Quản Trị", role="admin")
    outsider = factory.user(name="Người Xã Khác", commune=OTHER_COMMUNE)
    certified = factory.user(name="Người Có Chứng Nhận")
    code = complete_course(app, certified)
    ids = {"learner": learner, "member": member, "leader": leader, "commune_official": official,
           "province_official": province_official, "admin": admin}  # fmt: skip

    world.visitors["anonymous"] = Visitor("anonymous", None)
    for role, user_id in ids.items():
        world.visitors[role] = Visitor(role, None, phone=phones[role], user_id=user_id)
    for visitor in world.visitors.values():
        world.log_in(visitor)

    # An open quiz attempt for every logged-in role, and its question ids and options.
    attempts = {}
    for role, visitor in world.visitors.items():
        if visitor.phone is None:
            continue
        course = MEMBER_COURSE if role in ("member", "leader") else CITIZEN_COURSE
        response = visitor.client.post(f"/courses/{course}/{QUIZ_MODULE}/quiz/start", data={"csrf_token": visitor.token})
        assert response.status_code == 302, response.text
        attempts[role] = int(response.headers["Location"].rsplit("/", 1)[1])
        world.own_values[role] = {"attempt_id": [str(attempts[role])], "user_id": [str(visitor.user_id)]}
    for role, attempt in attempts.items():
        world.answers[role] = answer_key(app, attempt, right=5)
    answers = world.answers["learner"]

    with app.test_request_context("/"):
        for course in catalog.list_courses():
            for row in catalog.course_modules(course):
                for lesson in catalog.lessons_for(course, row.module):
                    world.lessons.append((course.slug, row.module.slug, lesson.slug))
    user_ids = [str(i) for i in (*ids.values(), outsider, certified)]
    world.path_values = {
        "attempt_id": [str(a) for a in attempts.values()],
        "team_id": [str(team)],
        "village_id": [str(village)],
        "user_id": user_ids,
        "code": [c for c in (code, "vi", "en", DEMO_COMMUNE, OTHER_COMMUNE) if c],
        "action": ["leader", "not-leader", "remove"],
        "filename": ["css/app.css", "js/app.js", "favicon.svg", "certificates.css", "anh.png"],
        "slug": sorted({s for s, _, _ in world.lessons}),
        "module_slug": sorted({m for _, m, _ in world.lessons}),
        "lesson_slug": sorted({x for _, _, x in world.lessons})[:20],
    }
    world.groups = [("commune", DEMO_COMMUNE), ("commune", OTHER_COMMUNE), ("village", str(village)), ("team", str(team))]
    world.field_names = form_field_names() + [f"q{version}" for version in answers] + ["submit", "next", "lang"]
    options = sorted({option for chosen in answers.values() for option in chosen})
    world.field_values = [*options, *phones.values(), *user_ids, code or "", DEMO_COMMUNE, province or "", "1", "y", "on",
                          "1990", "thôn", "Thôn Mới", "Tổ Mới", "mat-khau-sai", "abcd1234", "vi", "en", "/account",
                          "//evil.example", "https://evil.example/"]  # fmt: skip
    course, module, lesson = world.lessons[0]
    read_forms(world, [
        "/", "/login", "/register", "/reset", "/verify", "/account", "/account/password", "/account/delete",
        "/people", f"/people/{learner}", "/manage", f"/manage/communes/{DEMO_COMMUNE}", f"/manage/villages/{village}",
        f"/manage/teams/{team}", "/certificates/manage", f"/certificates/manage/c/{code}",
        f"/certificates/manage/commune/{DEMO_COMMUNE}", f"/courses/{CITIZEN_COURSE}", f"/courses/{MEMBER_COURSE}",
        f"/courses/{CITIZEN_COURSE}/{QUIZ_MODULE}/quiz", f"/attempts/{attempts['learner']}",
        f"/attempts/{attempts['member']}", f"/courses/{course}/{module}/{lesson}",
    ])  # fmt: skip
    return world
