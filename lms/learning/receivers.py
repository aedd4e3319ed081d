"""Learning's signal receivers, connected in lms.learning.init_app (never at import).

- quiz_graded (sender "quizzes"): keep the best score, count the activity and complete the
  module. Quizzes hands the graded result down this way only; learning never imports quizzes.
- personal_data_requested: learning's part of the data export.

Learning connects no account_deleted receiver: its records (enrolments, lessons read,
scores, completions) stay, tied to the erased account, for the commune statistics.
"""

from __future__ import annotations

from typing import Any

from lms.learning import services


def on_quiz_graded(_sender: str, *, attempt: Any, user: Any, module: Any, course: Any, **_: Any) -> None:
    services.record_graded_attempt(user, course, module, attempt.percent, bool(attempt.passed))


def on_personal_data_requested(_sender: str, *, user: Any, **_: Any) -> tuple[str, dict]:
    return "learning", services.export_learning(user)
