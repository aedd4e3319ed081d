"""`flask lms content-check` and `flask lms content-sync`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from lms.catalog.content import REVIEW
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
@click.option("--strict", is_flag=True, help="Coi cảnh báo (ngày xem lại quá 12 tháng, thiếu nguồn có ngày) là lỗi.")
@with_appcontext
def content_check_command(root: Path | None, strict: bool) -> None:
    """Validate every course, lesson and question bank; print problems as file:line: message.

    Exits non-zero on any error; with --strict also on review warnings."""
    bundle, problems = check_content(root)
    errors = [p for p in problems if p.level != REVIEW]
    warnings = [p for p in problems if p.level == REVIEW]
    for problem in problems:
        click.echo(str(problem), err=True)
    if errors or (strict and warnings):
        failing = len(errors) + (len(warnings) if strict else 0)
        click.secho(f"{failing} lỗi, {len(warnings)} cảnh báo.", fg="red", err=True)
        sys.exit(1)
    lessons = sum(len(m.lessons) for m in bundle.modules.values())
    questions = sum(len(m.questions) for m in bundle.modules.values())
    click.echo(f"Nội dung hợp lệ: {len(bundle.courses)} khóa học, {len(bundle.modules)} học phần, "
               f"{lessons} bài học, {questions} câu hỏi.")  # fmt: skip
    if warnings:
        click.secho(f"{len(warnings)} cảnh báo (--strict coi là lỗi).", fg="yellow", err=True)


@lms_cli.command("content-sync")
@ROOT_OPTION
@with_appcontext
def content_sync_command(root: Path | None) -> None:
    """Validate, then load courses, lessons and questions into the database (idempotent).

    Refuses content that cannot be loaded; editorial problems are counted, not blocking."""
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
    if report.editorial_problems:
        click.secho(f"Lưu ý: nội dung còn {report.editorial_problems} vấn đề; chạy flask lms content-check.",
                    fg="yellow", err=True)  # fmt: skip
