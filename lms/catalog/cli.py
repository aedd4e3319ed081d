"""`flask lms content-check` and `flask lms content-sync`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from lms.catalog.services import ContentInvalid, check_content, sync_from_disk
from lms.core.cli import lms_cli
from lms.core.extensions import db

ROOT_OPTION = click.option(
    "--root", type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Thư mục chứa courses/ và quizzes/ (mặc định: thư mục dự án).",
)  # fmt: skip


def _print_problems(problems) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)
    click.secho(f"{len(problems)} lỗi.", fg="red", err=True)


@lms_cli.command("content-check")
@ROOT_OPTION
@with_appcontext
def content_check_command(root: Path | None) -> None:
    """Validate every course, lesson and question bank; print errors as file:line: message."""
    bundle, problems = check_content(root)
    if problems:
        _print_problems(problems)
        sys.exit(1)
    lessons = sum(len(m.lessons) for m in bundle.modules.values())
    questions = sum(len(m.questions) for m in bundle.modules.values())
    click.echo(f"Nội dung hợp lệ: {len(bundle.courses)} khóa học, {len(bundle.modules)} học phần, "
               f"{lessons} bài học, {questions} câu hỏi.")  # fmt: skip


@lms_cli.command("content-sync")
@ROOT_OPTION
@with_appcontext
def content_sync_command(root: Path | None) -> None:
    """Validate, then load courses, lessons and questions into the database (idempotent)."""
    try:
        report = sync_from_disk(root)
        db.session.commit()
    except ContentInvalid as error:
        db.session.rollback()
        _print_problems(error.problems)
        click.secho("Không nạp gì: cơ sở dữ liệu giữ nguyên.", fg="red", err=True)
        sys.exit(1)
    for line in report.lines():
        click.echo(line)
    click.echo("Đã đồng bộ." if report.changed else "Không có gì thay đổi.")
