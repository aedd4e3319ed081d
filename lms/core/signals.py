"""Named signals through which features react to each other.

A feature that makes something happen sends a signal; a feature that cares connects a
receiver in its own `init_app`. The sender never imports a receiver, so learning knows
nothing of certificates or reports, and `core` knows no feature at all.

Rules for receivers:
- They run synchronously, inside the sender's transaction, and only flush: the request,
  command or job that sent the signal commits once (or rolls everything back together).
- They take keyword arguments only and ignore the ones they don't need (`**_`), so a signal
  can gain arguments without breaking anyone.
- A receiver that raises aborts the sender's operation; do that only for a rule the whole
  operation must obey.

Every signal's sender is the acting feature's name (a string), and the arguments are the
rows involved, listed below. See docs/architecture.md.
"""

from __future__ import annotations

from typing import Any

from blinker import Namespace

_signals = Namespace()

enrolled = _signals.signal(
    "enrolled",
    doc="A person enrolled in a course. Arguments: enrollment (Enrollment), user (User), course (Course).",
)
lesson_read = _signals.signal(
    "lesson_read",
    doc="A person read a lesson for the first time. Arguments: progress (LessonProgress), user, lesson (Lesson), course.",
)
course_started = _signals.signal(
    "course_started",
    doc="A person read a first lesson or had a first quiz graded in a course. Arguments: enrollment, user, course.",
)
quiz_graded = _signals.signal(
    "quiz_graded",
    doc="An attempt was graded (once). Arguments: attempt (QuizAttempt), user, module (Module), course (Course).",
)
module_completed = _signals.signal(
    "module_completed",
    doc="A person completed a module of a course. Arguments: completion (ModuleCompletion), user, module, course.",
)
course_completed = _signals.signal(
    "course_completed",
    doc="A person completed a course. Arguments: completion (CourseCompletion), user, course.",
)
certificate_issued = _signals.signal(
    "certificate_issued",
    doc="A certificate was issued. Arguments: certificate (Certificate), user, course.",
)
certificate_revoked = _signals.signal(
    "certificate_revoked",
    doc="A certificate was revoked. Arguments: certificate (Certificate), actor (User or None), reason (str).",
)
certificate_reinstated = _signals.signal(
    "certificate_reinstated",
    doc="A revocation made by mistake was undone. Arguments: certificate (Certificate), actor (User).",
)
membership_changed = _signals.signal(
    "membership_changed",
    doc=(
        "A person joined or left a team (before the row goes, when leaving). "
        "Arguments: user (User), team_id (int), joined (bool)."
    ),
)
person_moved = _signals.signal(
    "person_moved",
    doc=(
        "A person's home commune or household changed (after the change is flushed). "
        "Arguments: user (User), commune_code (str or None, before), household_id (int or None, before)."
    ),
)
household_created = _signals.signal(
    "household_created",
    doc="A household was added to a village. Arguments: household (Household).",
)
households_created = _signals.signal(
    "households_created",
    doc=(
        "Many households were added at once (a roster import's batch), in place of one household_created "
        "each. Arguments: households (list of Household)."
    ),
)
account_deleted = _signals.signal(
    "account_deleted",
    doc="A person deleted their account; erase what you hold about them. Arguments: user (User).",
)
personal_data_requested = _signals.signal(
    "personal_data_requested",
    doc=(
        "A person asked for a copy of their data. Arguments: user (User). Each receiver returns "
        "(section name, JSON-ready value); see collect()."
    ),
)


def collect(signal, sender: str, **kwargs: Any) -> dict[str, Any]:
    """Send a signal whose receivers each return a (key, value) pair, and gather them."""
    gathered: dict[str, Any] = {}
    for _receiver, answer in signal.send(sender, **kwargs):
        if answer is not None:
            key, value = answer
            gathered[key] = value
    return gathered
