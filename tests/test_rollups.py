"""Rollup counters: kept by the signal receivers, and equal to what rollups-rebuild computes from
the records after any sequence of events."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select

from lms.core import signals
from lms.core.extensions import db
from tests.factories import DEMO_COMMUNE, OTHER_COMMUNE, next_phone

SECOND_DEMO_COMMUNE = "00008"  # another commune of Hà Nội


def snapshot() -> dict:
    """Every counter summed over shards, zeros left out: what a dashboard can read."""
    from lms.reports.models import HouseholdProgress, Rollup, RollupDays, RollupWeek

    state: dict = {}
    for model, key_columns, counters in (
        (Rollup, ("level", "place", "course_id"), ("enrolled", "started", "completed", "certified", "households")),
        (RollupWeek, ("level", "place", "course_id", "week"), ("enrolled", "completed", "certified")),
        (RollupDays, ("level", "place", "course_id", "days"), ("learners",)),
    ):
        keys = [getattr(model, c) for c in key_columns]
        rows = db.session.execute(select(*keys, *[func.sum(getattr(model, c)) for c in counters]).group_by(*keys))
        for row in rows:
            values = tuple(int(v) for v in row[len(keys) :])
            if any(values):
                state[(model.__tablename__, *row[: len(keys)])] = values
    for household_id, course_id, completers in db.session.execute(
        select(HouseholdProgress.household_id, HouseholdProgress.course_id, HouseholdProgress.completers)
    ):
        if completers:
            state[("household_progress", household_id, course_id)] = (completers,)
    return state


class World:
    """People, places and courses, and the events that can happen to them."""

    def __init__(self, app, rng: random.Random):
        from lms.accounts import services as accounts
        from lms.accounts.models import Role
        from lms.catalog.models import Course
        from lms.places.models import Household, Team, Village

        self.rng = rng
        self.courses = list(db.session.scalars(select(Course).order_by(Course.id)))
        self.admin = accounts.create_account(next_phone(), "Quản Trị", "mat-khau-123", Role.ADMIN)
        self.communes = [DEMO_COMMUNE, SECOND_DEMO_COMMUNE, OTHER_COMMUNE]
        self.villages, self.teams, self.households = [], [], []
        for commune in self.communes:
            village = Village(commune_code=commune, name=f"Thôn {commune}", kind="thôn")
            db.session.add(village)
            db.session.flush()
            self.villages.append(village)
            team = Team(village_id=village.id, commune_code=commune, name=f"Tổ {commune}")
            db.session.add(team)
            db.session.flush()
            self.teams.append(team)
        self.household_model = Household
        self.people = []
        names = ["An", "Bình", "Cúc", "Dũng", "Đào", "Giang", "Hà", "Khánh", "Lan", "Minh", "Ngọc", "Phúc"]
        for index in range(12):
            self.people.append(
                accounts.register_user(
                    phone=next_phone(),
                    password="mat-khau-123",
                    full_name=f"Người Học {names[index]}",
                    consent=True,
                    commune_code=DEMO_COMMUNE if index < 3 else rng.choice(self.communes + [None]),
                )
            )
        db.session.flush()
        # One member enrolled from the start, so team rows are always in play.
        from lms.learning import services as learning
        from lms.places import services as places

        learning.enroll(self.people[0], self.courses[0])
        places.add_member(self.admin, self.teams[0].id, self.people[0].phone)

    def living(self):
        return [p for p in self.people if p.deleted_at is None]

    def new_household(self):
        village = self.rng.choice(self.villages)
        household = self.household_model(
            village_id=village.id,
            commune_code=village.commune_code,
            label=f"Nhà số {len(self.households)}",
            label_key=f"nha so {len(self.households)}",
        )
        db.session.add(household)
        db.session.flush()
        signals.household_created.send("places", household=household)
        self.households.append(household)

    def enroll(self):
        from lms.learning import services as learning

        learning.enroll(self.rng.choice(self.living()), self.rng.choice(self.courses))

    def start(self):
        from lms.learning import services as learning

        learning.record_activity(self.rng.choice(self.living()), self.rng.choice(self.courses))

    def complete(self):
        from lms.catalog.services import course_modules
        from lms.learning import services as learning
        from lms.learning.models import ModuleCompletion

        person, course = self.rng.choice(self.living()), self.rng.choice(self.courses)
        learning.record_activity(person, course)
        for row in course_modules(course):
            exists = db.session.scalar(
                select(ModuleCompletion.id).where(
                    ModuleCompletion.user_id == person.id,
                    ModuleCompletion.course_id == course.id,
                    ModuleCompletion.module_id == row.module_id,
                )
            )
            if exists is None:
                db.session.add(ModuleCompletion(user_id=person.id, course_id=course.id, module_id=row.module_id, best_percent=90))
        db.session.flush()
        learning.maybe_complete_course(person, course)

    def revoke(self):
        from lms.certificates import services as certificates
        from lms.certificates.models import Certificate

        live = list(db.session.scalars(select(Certificate).where(Certificate.revoked_at.is_(None))))
        if live:
            certificates.revoke(self.admin, self.rng.choice(live), "Cấp nhầm")

    def join_team(self):
        from lms.places.models import TeamMembership

        person = self.rng.choice(self.living())
        team = next((t for t in self.teams if t.commune_code == person.home_commune_code), None)
        if team is None:
            return
        if db.session.scalar(
            select(TeamMembership.id).where(TeamMembership.user_id == person.id, TeamMembership.team_id == team.id)
        ):
            return
        from lms.places import services as places

        places.add_member(self.admin, team.id, person.phone)

    def leave_team(self):
        from lms.places import services as places
        from lms.places.models import TeamMembership

        memberships = list(db.session.scalars(select(TeamMembership)))
        if memberships:
            membership = self.rng.choice(memberships)
            places.remove_member(self.admin, membership.team_id, membership.user_id)

    def move(self):
        from lms.accounts import services as accounts

        person = self.rng.choice(self.living())
        household = self.rng.choice(self.households + [None]) if self.households else None
        commune = household.commune_code if household is not None else self.rng.choice(self.communes + [None])
        accounts.move_person(person, commune_code=commune, household_id=household.id if household else None)

    def edit_profile(self):
        from lms.accounts import services as accounts

        person = self.rng.choice(self.living())
        accounts.update_profile(
            person, full_name=person.full_name, birth_year=None, email=None, commune_code=self.rng.choice(self.communes)
        )

    def delete(self):
        from lms.accounts import services as accounts

        if len(self.living()) > 4:
            accounts.delete_account(self.rng.choice(self.living()), "mat-khau-123")

    EVENTS = (
        *("new_household", "enroll", "start", "complete", "complete", "revoke"),
        *("join_team", "join_team", "leave_team", "move", "edit_profile", "delete"),
    )


@pytest.mark.parametrize("seed", range(6))
def test_rebuild_equals_the_counters_kept_event_by_event(app, seed):
    """A random sequence of events; every 15 events the counters kept so far must equal a
    rebuild from the records, and the events after a rebuild go on from the rebuilt rows."""
    from lms.reports import rollups

    rng = random.Random(seed)
    seen: set = set()
    with app.app_context():
        world = World(app, rng)
        for _round in range(8):
            for _ in range(15):
                getattr(world, rng.choice(World.EVENTS))()
                db.session.flush()
            db.session.commit()
            incremental = snapshot()
            rollups.rebuild()
            db.session.commit()
            rebuilt = snapshot()
            differences = {
                key: (incremental.get(key), rebuilt.get(key))
                for key in set(incremental) | set(rebuilt)
                if incremental.get(key) != rebuilt.get(key)
            }
            assert differences == {}
            seen |= {(key[0], key[1]) for key in incremental}
    # The sequence reached every kind of row, so the comparison covered them all.
    assert {level for table, level in seen if table == "rollups"} == {"country", "province", "commune", "village", "team"}
    assert {table for table, _level in seen} == {"rollups", "rollup_weeks", "rollup_days", "household_progress"}


def test_counters_of_a_hand_made_case(app):
    """Three people, one household, one team: the numbers worked out by hand."""
    from lms.accounts import services as accounts
    from lms.catalog.models import Course
    from lms.certificates.models import Certificate
    from lms.learning import services as learning
    from lms.places import services as places
    from lms.places.models import Household
    from lms.reports.models import Rollup

    with app.app_context():
        world = World(app, random.Random(1))
        citizens = db.session.scalar(select(Course).where(Course.slug == "nguoi-dan"))
        village, team = world.villages[0], world.teams[0]  # both in DEMO_COMMUNE
        household = Household(village_id=village.id, commune_code=DEMO_COMMUNE, label="Số 1", label_key="so 1")
        db.session.add(household)
        db.session.flush()
        signals.household_created.send("places", household=household)
        first, second, third = world.people[3:6]
        accounts.move_person(first, commune_code=DEMO_COMMUNE, household_id=household.id)
        accounts.move_person(second, commune_code=DEMO_COMMUNE, household_id=None)
        accounts.move_person(third, commune_code=SECOND_DEMO_COMMUNE, household_id=None)
        for person in (first, second):
            places.add_member(world.admin, team.id, person.phone)
        for person in (first, second, third):
            learning.enroll(person, citizens)
        learning.record_activity(second, citizens)
        world.living, world.courses = (lambda: [first]), [citizens]
        world.complete()
        db.session.commit()
        certified = db.session.scalar(select(func.count()).select_from(Certificate).where(Certificate.user_id == first.id))

        def total(level, place, course_id):
            row = db.session.execute(
                select(
                    *[
                        func.coalesce(func.sum(getattr(Rollup, c)), 0)
                        for c in ("enrolled", "started", "completed", "certified", "households")
                    ]
                ).where(Rollup.level == level, Rollup.place == place, Rollup.course_id == course_id)
            ).one()
            return tuple(int(v) for v in row)

        # (enrolled, started, completed, certified, households reached)
        assert total("commune", DEMO_COMMUNE, citizens.id) == (2, 2, 1, certified, 1)
        assert total("commune", SECOND_DEMO_COMMUNE, citizens.id) == (1, 0, 0, 0, 0)
        assert total("province", "01", citizens.id) == (3, 2, 1, certified, 1)
        assert total("village", str(village.id), citizens.id) == (1, 1, 1, certified, 1)
        assert total("team", str(team.id), citizens.id) == (2, 2, 1, certified, 0)
        assert total("commune", DEMO_COMMUNE, 0)[4] == 1  # the commune has one household
        # The world's first person (enrolled in another course) counts in the team too.
        assert total("country", "VN", citizens.id)[:3] == (3, 2, 1)
