"""Question types. Each type validates its YAML, says how to show it, and grades an answer.

Adding a type means adding one class here and registering it; nothing else changes.
The registry lives in catalog because a type defines what a question in the content is
(the content loader validates banks with it); quizzes draws, shows and grades with it.
A stored question version keeps `options` (id and text, never the correctness) and
`correct` (the list of correct option ids) apart, so the view can hand options to the
template without any marker of the right answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


class QuestionSpecError(ValueError):
    """A question in a bank does not fit its type."""


@dataclass(frozen=True)
class Normalized:
    options: list[dict[str, str]]  # [{"id": "a", "text": "..."}], in file order
    correct: list[str]  # ids of the correct options


class QuestionType:
    name: ClassVar[str]
    input_kind: ClassVar[str]  # "radio" or "checkbox" for the template
    shuffle: ClassVar[bool] = True

    def normalize(self, raw: dict[str, Any]) -> Normalized:
        raise NotImplementedError

    def grade(self, correct: list[str], chosen: list[str]) -> bool:
        """All-or-nothing: the chosen set must equal the correct set."""
        return sorted(set(chosen)) == sorted(correct)

    @staticmethod
    def _options(raw: dict[str, Any], low: int = 3, high: int = 6) -> list[dict[str, Any]]:
        options = raw.get("options")
        if not isinstance(options, list) or not low <= len(options) <= high:
            raise QuestionSpecError(f"cần từ {low} đến {high} lựa chọn (options)")
        seen = set()
        for option in options:
            if not isinstance(option, dict) or not option.get("id") or not str(option.get("text", "")).strip():
                raise QuestionSpecError("mỗi lựa chọn cần id và text")
            option_id = str(option["id"])
            if option_id in seen:
                raise QuestionSpecError(f"id lựa chọn trùng: {option_id}")
            seen.add(option_id)
            extra = set(option) - {"id", "text", "correct", "__line__"}
            if extra:
                raise QuestionSpecError(f"khóa lạ trong lựa chọn: {', '.join(sorted(extra))}")
            if "correct" in option and not isinstance(option["correct"], bool):
                raise QuestionSpecError("correct phải là true hoặc false")
        return options

    @staticmethod
    def _split(options: list[dict[str, Any]]) -> Normalized:
        return Normalized(
            options=[{"id": str(o["id"]), "text": str(o["text"]).strip()} for o in options],
            correct=[str(o["id"]) for o in options if o.get("correct") is True],
        )


class SingleChoice(QuestionType):
    name = "single"
    input_kind = "radio"

    def normalize(self, raw):
        if "answer" in raw:
            raise QuestionSpecError("câu một lựa chọn không dùng 'answer'; đánh dấu correct: true trên lựa chọn đúng")
        result = self._split(self._options(raw))
        if len(result.correct) != 1:
            raise QuestionSpecError(f"câu một lựa chọn cần đúng 1 đáp án đúng, đang có {len(result.correct)}")
        return result


class MultipleChoice(QuestionType):
    name = "multiple"
    input_kind = "checkbox"

    def normalize(self, raw):
        if "answer" in raw:
            raise QuestionSpecError("câu nhiều lựa chọn không dùng 'answer'")
        result = self._split(self._options(raw))
        if len(result.correct) < 2:
            raise QuestionSpecError("câu nhiều lựa chọn cần ít nhất 2 đáp án đúng")
        if len(result.correct) == len(result.options):
            raise QuestionSpecError("câu nhiều lựa chọn cần ít nhất 1 lựa chọn sai")
        return result


class TrueFalse(QuestionType):
    name = "true_false"
    input_kind = "radio"
    shuffle = False  # "Đúng" always before "Sai"

    def normalize(self, raw):
        if "options" in raw:
            raise QuestionSpecError("câu đúng/sai không có options; dùng answer: true hoặc false")
        if not isinstance(raw.get("answer"), bool):
            raise QuestionSpecError("câu đúng/sai cần answer: true hoặc answer: false")
        return Normalized(
            options=[{"id": "true", "text": "Đúng"}, {"id": "false", "text": "Sai"}],
            correct=["true" if raw["answer"] else "false"],
        )


REGISTRY: dict[str, QuestionType] = {t.name: t() for t in (SingleChoice, MultipleChoice, TrueFalse)}


def get_type(name: str) -> QuestionType:
    try:
        return REGISTRY[name]
    except KeyError:
        raise QuestionSpecError(f"loại câu hỏi không có: {name!r} (dùng {', '.join(REGISTRY)})") from None
