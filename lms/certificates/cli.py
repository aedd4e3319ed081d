"""`flask lms cert-*` commands: verify offline, make the signing key, run the render worker."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from lms.certificates import keyring, settings
from lms.certificates.render import prepare_worker
from lms.certificates.signing import BadSignature, PublicKey, parse_public_key, verify_payload, verify_proof
from lms.core.cli import lms_cli
from lms.core.extensions import db

EXIT_INVALID, EXIT_REVOKED = 1, 2


def _trusted(public_key: str | None) -> dict[str, PublicKey]:
    if public_key:
        text = Path(public_key).read_text() if os.path.isfile(public_key) else public_key
        try:
            key = parse_public_key(text)
        except ValueError as error:
            click.secho(f"Khóa công khai không đọc được: {error}", fg="red", err=True)
            sys.exit(EXIT_INVALID)
        return {key.kid: key}
    keys = keyring.trusted_keys()
    if not keys:
        click.secho("Không có khóa công khai nào: dùng --public-key hoặc chạy flask lms init.", fg="red", err=True)
        sys.exit(EXIT_INVALID)
    return keys


def _database_status(code: str) -> tuple[str | None, str | None]:
    """(state, detail) from this deployment's database, or (None, None) when unknown."""
    from lms.certificates.models import Certificate

    try:
        certificate = db.session.scalar(select(Certificate).where(Certificate.code == code))
    except SQLAlchemyError:  # no database here (an offline check on another machine)
        return None, None
    if certificate is None:
        return "unknown", None
    if certificate.is_revoked:
        return "revoked", certificate.revoke_reason
    return "valid", certificate.printed_name


@lms_cli.command("cert-verify")
@click.argument("qr_text", required=False)
@click.option(
    "--credential",
    "credential_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Kiểm tra tệp Open Badges (.json) thay vì nội dung mã QR.",
)
@click.option(
    "--public-key", help="Khóa công khai tin cậy (PEM, tệp PEM, did:key hoặc base64url); mặc định: khóa của hệ thống này."
)
@click.option("--offline", is_flag=True, help="Chỉ kiểm tra chữ ký, không tra cơ sở dữ liệu (trạng thái thu hồi).")
@with_appcontext
def cert_verify_command(qr_text, credential_path, public_key, offline) -> None:  # fmt: skip
    """Check a certificate without the network.

    QR_TEXT is what a QR reader shows (the whole URL with its #fragment, or the part after #);
    use "-" to read it from standard input. Exit status: 0 valid, 1 invalid or malformed,
    2 signature valid but the certificate is revoked in this deployment's database.
    """
    keys = _trusted(public_key)
    if credential_path is not None:
        try:
            document = json.loads(credential_path.read_text(encoding="utf-8"))
            key = verify_proof(document, keys)
        except (ValueError, BadSignature, AttributeError) as error:
            click.secho(f"KHÔNG HỢP LỆ: {error}", fg="red", err=True)
            sys.exit(EXIT_INVALID)
        click.secho("HỢP LỆ: chữ ký Open Badges (eddsa-rdfc-2022) khớp.", fg="green")
        click.echo(f"  Tên chứng nhận: {document.get('name')}")
        click.echo(f"  Đơn vị cấp:     {document.get('issuer', {}).get('name')} ({key.did})")
        click.echo(f"  Hiệu lực từ:    {document.get('validFrom')}")
        return
    if qr_text in (None, "-"):
        qr_text = sys.stdin.read()
    try:
        fields = verify_payload(qr_text, keys)
    except BadSignature as error:
        click.secho(f"KHÔNG HỢP LỆ: {error}", fg="red", err=True)
        sys.exit(EXIT_INVALID)
    from lms.certificates.codes import format_code

    code = str(fields.get("c", ""))
    click.secho("HỢP LỆ: chữ ký số khớp với khóa của đơn vị cấp.", fg="green")
    click.echo(f"  Mã:          {format_code(code) if len(code) == 12 else code}")
    click.echo(f"  Họ và tên:   {fields.get('n')}")
    click.echo(f"  Khóa học:    {fields.get('co')}")
    click.echo(f"  Ngày cấp:    {fields.get('d')}")
    click.echo(f"  Đơn vị cấp:  {fields.get('i')}")
    click.echo(f"  Lần cấp:     {fields.get('r')}")
    if offline:
        click.echo("  (Chưa tra trạng thái thu hồi: kiểm tra trực tuyến tại trang /verify khi có mạng.)")
        return
    state, detail = _database_status(code)
    if state == "revoked":
        click.secho(f"ĐÃ THU HỒI trong cơ sở dữ liệu. Lý do: {detail}", fg="red", err=True)
        sys.exit(EXIT_REVOKED)
    if state == "valid" and detail != fields.get("n"):
        click.secho(f"Lưu ý: tên đã được sửa; bản mới nhất ghi “{detail}”.", fg="yellow")
    elif state == "unknown":
        click.secho("Lưu ý: cơ sở dữ liệu này không có mã này (chứng nhận của nơi khác?).", fg="yellow")


@lms_cli.command("cert-keygen")
@with_appcontext
def cert_keygen_command() -> None:
    """Create the Ed25519 signing key if missing (also done by `init` and `demo`); print the public key."""
    path, created = keyring.ensure_signing_key()
    click.echo(("Đã tạo khóa ký: " if created else "Khóa ký đã có: ") + str(path))
    key = keyring.current_public_key()
    click.echo(f"kid: {key.kid}\n{key.did}\n{key.pem.strip()}")


@lms_cli.command("cert-worker")
@click.option("--burst", is_flag=True, help="Dừng khi hàng đợi hết việc.")
@click.option("--nice", "niceness", default=10, show_default=True, help="Độ ưu tiên thấp hơn để trang web vẫn nhanh.")
@click.option(
    "--idle/--no-idle",
    default=True,
    show_default=True,
    help="Chỉ dùng CPU khi máy rảnh (SCHED_IDLE, Linux): trang web luôn được ưu tiên.",
)
@with_appcontext
def cert_worker_command(burst: bool, niceness: int, idle: bool) -> None:  # fmt: skip
    """Run an RQ worker that renders certificate PDFs (needs REDIS_URL).

    It yields the processor to the web app: SCHED_IDLE where Linux offers it, else `nice`."""
    from rq import SimpleWorker

    from lms.certificates import jobs

    q = jobs.queue()
    if q is None:
        click.secho("Chưa cấu hình REDIS_URL: chứng nhận được tạo khi tải lần đầu, không cần worker.", fg="red", err=True)
        sys.exit(1)
    if niceness:
        os.nice(niceness)
    if idle and hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except OSError:
            pass  # not permitted here: the nice value still applies
    prepare_worker()
    click.echo(f"Worker chứng nhận: hàng đợi {q.name} ({(settings.redis_url() or '').split('@')[-1]})")
    SimpleWorker([q], connection=q.connection).work(burst=burst, with_scheduler=False, logging_level="WARNING")


@lms_cli.command("cert-render")
@click.option("--enqueue", is_flag=True, help="Gửi cho worker thay vì tạo ngay.")
@with_appcontext
def cert_render_command(enqueue: bool) -> None:
    """Render (or queue) every PDF that is missing, e.g. after moving CERTIFICATE_DIR."""
    from lms.certificates import jobs, storage
    from lms.certificates.models import Certificate

    made = 0
    rows = db.session.execute(select(*storage.SNAPSHOT_COLUMNS).where(Certificate.revoked_at.is_(None)).order_by(Certificate.id))
    certificates = [storage.Snapshot(*row) for row in rows]
    db.session.rollback()  # no transaction stays open while rendering
    missing = [c for c in certificates if not storage.is_rendered(c)]
    if enqueue:
        made = jobs.enqueue_batches([(c.id, c.code, c.revision) for c in missing])
        click.echo(f"Đã gửi {made} tệp PDF cho worker ({jobs.BATCH_SIZE} tệp một việc). Xem tiến độ: flask lms cert-progress")
        return
    for certificate in missing:
        storage.ensure_pdf(certificate)
        made += 1
    click.echo(f"Đã tạo {made} tệp PDF.")


@lms_cli.command("cert-progress")
@with_appcontext
def cert_progress_command() -> None:
    """How far the renders are: PDFs made of the certificates still valid, and jobs waiting."""
    from lms.certificates import jobs, storage
    from lms.certificates.models import Certificate

    rows = db.session.execute(select(Certificate.code, Certificate.revision).where(Certificate.revoked_at.is_(None)))
    pairs = list(rows)
    db.session.rollback()
    ready = sum(1 for code, revision in pairs if storage.pdf_file(code, revision).is_file())
    total = len(pairs)
    percent = 100 if not total else round(100 * ready / total)
    click.echo(f"Đã có tệp PDF: {ready}/{total} ({percent}%)")
    q = jobs.queue()
    if q is not None:
        click.echo(f"Việc đang chờ trong hàng đợi: {q.count}")
