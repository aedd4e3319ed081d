"""The five basic tasks (lms/fieldwork/tasks.yaml) and the local platforms a province or commune
adds to them."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml
from flask_babel import gettext as _
from sqlalchemy import or_, select

from lms.accounts.models import User
from lms.core import audit
from lms.core.db import flush_or_refuse
from lms.core.errors import ValidationFailed
from lms.core.extensions import db
from lms.core.text import clean_line, fold, has_control_chars
from lms.fieldwork.models import LocalPlatform
from lms.places.models import Commune

TASKS_FILE = Path(__file__).with_name("tasks.yaml")
LOCAL_PREFIX = "local-"
PLATFORM_NAME_MAX = 120


@dataclass(frozen=True)
class Item:
    code: str
    name: str


@dataclass(frozen=True)
class Task:
    code: str
    name: str
    done: str
    items: tuple[Item, ...]


@functools.cache
def load_tasks(path: Path = TASKS_FILE) -> tuple[Task, ...]:
    """The tasks in file order; a file with a repeated or missing code is refused at start."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    tasks = []
    seen: set[str] = set()
    for raw in data["tasks"]:
        code = str(raw["code"])
        items = tuple(Item(str(i["code"]), str(i["name"])) for i in raw.get("items") or ())
        codes = [code] + [i.code for i in items]
        if any(not c or c in seen or c.startswith(LOCAL_PREFIX) for c in codes) or len(set(codes)) != len(codes):
            raise ValueError(f"{path}: task or item code repeated, empty or reserved: {codes}")
        seen.update(codes)
        tasks.append(Task(code, str(raw["name"]), str(raw.get("done") or ""), items))
    if not tasks:
        raise ValueError(f"{path}: no tasks")
    return tuple(tasks)


def task_by_code(code: str | None) -> Task | None:
    return next((t for t in load_tasks() if t.code == code), None)


def task_codes() -> tuple[str, ...]:
    return tuple(t.code for t in load_tasks())


def platforms_for(commune_code: str) -> list[LocalPlatform]:
    """Local platforms the teams of a commune see: the commune's and its province's."""
    province = db.session.scalar(select(Commune.province_code).where(Commune.code == commune_code))
    return list(
        db.session.scalars(
            select(LocalPlatform)
            .where(
                or_(
                    (LocalPlatform.level == "commune") & (LocalPlatform.place == commune_code),
                    (LocalPlatform.level == "province") & (LocalPlatform.place == (province or "")),
                )
            )
            .order_by(LocalPlatform.id)
        )
    )


def items_for(task: Task, commune_code: str) -> list[Item]:
    """A task's sub-items in a commune: the file's, then the local platforms added to it."""
    local = [Item(f"{LOCAL_PREFIX}{p.id}", p.name) for p in platforms_for(commune_code) if p.task_code == task.code]
    return list(task.items) + local


def check_item(task: Task, item_code: str | None, commune_code: str) -> str | None:
    if not item_code:
        return None
    if item_code not in {i.code for i in items_for(task, commune_code)}:
        raise ValidationFailed(_("Việc cụ thể này không thuộc nhiệm vụ đã chọn."), field="item")
    return item_code


def item_names(commune_code: str | None = None) -> dict[str, str]:
    names = {i.code: i.name for t in load_tasks() for i in t.items}
    if commune_code:
        names.update({f"{LOCAL_PREFIX}{p.id}": p.name for p in platforms_for(commune_code)})
    return names


def add_platform(actor: User, level: str, place: str, task_code: str, name: str) -> LocalPlatform:
    """A local platform of a province or commune in the actor's scope (the view checks scope)."""
    if task_by_code(task_code) is None:
        raise ValidationFailed(_("Bạn hãy chọn một nhiệm vụ trong danh sách."), field="task")
    if has_control_chars(name or ""):
        raise ValidationFailed(_("Tên nền tảng có ký tự không hợp lệ."), field="name")
    name = clean_line(name or "")
    if not any(ch.isalnum() for ch in name):
        raise ValidationFailed(_("Bạn hãy ghi tên nền tảng, ví dụ “Sổ sức khỏe điện tử”."), field="name")
    if len(name) > PLATFORM_NAME_MAX:
        raise ValidationFailed(_("Tên nền tảng dài tối đa %(n)s ký tự.", n=PLATFORM_NAME_MAX), field="name")
    key = " ".join(fold(name).split())
    exists = ValidationFailed(_("Nơi này đã có nền tảng “%(name)s”.", name=name), field="name")
    if db.session.scalar(
        select(LocalPlatform.id).where(LocalPlatform.level == level, LocalPlatform.place == place, LocalPlatform.name_key == key)
    ):
        raise exists
    row = LocalPlatform(level=level, place=place, task_code=task_code, name=name, name_key=key, created_by_id=actor.id)
    flush_or_refuse(exists, row)
    audit.record(actor.id, "fieldwork.platform.add", "fieldwork_platform", row.id, level=level, place=place)
    return row
