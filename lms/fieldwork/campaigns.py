"""Campaigns: a commune's time-boxed push on one task (e.g. ten days on online public services),
with a target per team (Target rows with period "c<id>") and its daily progress.

A household counts for a campaign when its first "done" entry for the task falls within the
campaign's days: a household helped before the campaign is not counted again (outreach_days,
kept with the entries, holds those first days per place)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from lms.accounts.models import User
from lms.core import audit
from lms.core.errors import ValidationFailed
from lms.core.extensions import db
from lms.core.text import clean_line, has_control_chars
from lms.fieldwork import counts
from lms.fieldwork.models import Campaign
from lms.fieldwork.outreach import today
from lms.fieldwork.targets import parse_households, set_target, targets_of
from lms.fieldwork.tasks import task_by_code
from lms.places.models import Commune, Team

MAX_DAYS = 92


def _date(raw: object, field: str) -> date:
    text = raw.strip() if isinstance(raw, str) else ""
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ValidationFailed(_("Ngày không hợp lệ: bạn hãy chọn một ngày, ví dụ 2026-12-01."), field=field)


def create(
    actor: User, commune: Commune, name: object, task_code: object, starts: object, ends: object, households: object
) -> Campaign:
    """A campaign of the commune (the view checked that the actor manages it) with the same
    target for each of its teams (none when left empty)."""
    if not isinstance(name, str) or has_control_chars(name):
        raise ValidationFailed(_("Tên chiến dịch có ký tự không hợp lệ."), field="name")
    name = clean_line(name)
    if not any(ch.isalnum() for ch in name) or len(name) > 120:
        raise ValidationFailed(_("Bạn hãy đặt tên chiến dịch (tối đa 120 ký tự), ví dụ “Mười ngày dịch vụ công”."), field="name")
    task = task_by_code(task_code if isinstance(task_code, str) else None)
    if task is None:
        raise ValidationFailed(_("Bạn hãy chọn một nhiệm vụ trong danh sách."), field="task")
    starts_on, ends_on = _date(starts, "starts_on"), _date(ends, "ends_on")
    if ends_on < starts_on:
        raise ValidationFailed(_("Ngày kết thúc phải từ ngày bắt đầu trở đi."), field="ends_on")
    if (ends_on - starts_on).days + 1 > MAX_DAYS:
        raise ValidationFailed(_("Một chiến dịch dài tối đa %(n)s ngày.", n=MAX_DAYS), field="ends_on")
    if starts_on.year < 2020 or ends_on.year > 2100:
        raise ValidationFailed(_("Ngày phải trong khoảng năm 2020 đến 2100."), field="starts_on")
    target = None if households in (None, "") else parse_households(households)
    row = Campaign(
        commune_code=commune.code, name=name, task_code=task.code, starts_on=starts_on, ends_on=ends_on, created_by_id=actor.id
    )
    db.session.add(row)
    db.session.flush()
    if target is not None:
        for team in db.session.scalars(select(Team).where(Team.commune_code == commune.code).order_by(Team.id)):
            set_target(actor, team, task.code, f"c{row.id}", target)
    audit.record(actor.id, "fieldwork.campaign", "fieldwork_campaign", row.id, commune=commune.code, task=task.code)
    return row


def of_commune(code: str) -> list[Campaign]:
    return list(
        db.session.scalars(
            select(Campaign).where(Campaign.commune_code == code).order_by(Campaign.starts_on.desc(), Campaign.id.desc())
        )
    )


@dataclass
class Day:
    day: date
    households: int
    done: int
    total: int  # households since the start, this day included


@dataclass
class TeamLine:
    team: Team
    households: int
    target: int | None


@dataclass
class CampaignProgress:
    campaign: Campaign
    days: list[Day]
    teams: list[TeamLine]
    target: int
    households: int


def campaign_progress(campaign: Campaign) -> CampaignProgress:
    last = min(campaign.ends_on, today())
    found = counts.daily("commune", campaign.commune_code, campaign.task_code, campaign.starts_on, last)
    days: list[Day] = []
    total = 0
    day = campaign.starts_on
    while day <= last:
        figures = found.get(day, {})
        total += figures.get("households", 0)
        days.append(Day(day, figures.get("households", 0), figures.get("done", 0), total))
        day += timedelta(days=1)
    teams = list(db.session.scalars(select(Team).where(Team.commune_code == campaign.commune_code).order_by(Team.id)))
    goals = targets_of([t.id for t in teams], f"c{campaign.id}")
    lines = []
    for team in teams:
        reached = sum(
            f["households"]
            for f in counts.daily("team", str(team.id), campaign.task_code, campaign.starts_on, campaign.ends_on).values()
        )
        lines.append(TeamLine(team, reached, goals.get((team.id, campaign.task_code))))
    return CampaignProgress(campaign, days, lines, sum(v for v in goals.values()), total)
