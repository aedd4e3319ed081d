"""Imports every feature's models so the metadata (and Alembic) sees all tables."""

from lms.accounts.models import AssistedRegistration, ResetCode, RoleAssignment, User  # noqa: F401
from lms.catalog.models import Course, CourseModule, Lesson, Module, Question, QuestionVersion  # noqa: F401
from lms.certificates.models import Certificate  # noqa: F401
from lms.core.audit import AuditEvent  # noqa: F401
from lms.fieldwork.models import (  # noqa: F401
    Campaign,
    HouseholdTask,
    LocalPlatform,
    OutreachCount,
    OutreachDay,
    OutreachEntry,
    OutreachRevision,
    Target,
)
from lms.learning.models import BestScore, CourseCompletion, Enrollment, LessonProgress, ModuleCompletion  # noqa: F401
from lms.places.models import Commune, Household, Province, RosterImport, Team, TeamMembership, Village  # noqa: F401
from lms.quizzes.models import AttemptAnswer, QuizAttempt  # noqa: F401
from lms.reports.models import HouseholdProgress, Rollup, RollupDays, RollupWeek  # noqa: F401
