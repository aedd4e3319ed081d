"""Credentials: the signed Open Badges credential of each certificate revision, stored byte for
byte, with its bit in a Bitstring Status List, and the signed status lists themselves.

Revision ID: 0008_credentials
Revises: 0007_officials_workspace
Create Date: 2026-12-02 00:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_credentials'
down_revision = '0007_officials_workspace'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('credential_status_lists',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('document', sa.Text(), nullable=True),
    sa.Column('revoked_count', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credential_status_lists'))
    )
    op.create_table('credentials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('status_list', sa.Integer(), nullable=True),
    sa.Column('status_index', sa.Integer(), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('document', sa.Text(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status_reason', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_credentials_certificate_id_certificates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credentials')),
    sa.UniqueConstraint('certificate_id', 'revision', name=op.f('uq_credentials_certificate_id_revision')),
    sa.UniqueConstraint('status_list', 'status_index', name=op.f('uq_credentials_status_list_status_index')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credentials_certificate_id'), ['certificate_id'], unique=False)
        batch_op.create_index('ix_credentials_status_list_revoked_at', ['status_list', 'revoked_at'], unique=False)


def downgrade():
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.drop_index('ix_credentials_status_list_revoked_at')
        batch_op.drop_index(batch_op.f('ix_credentials_certificate_id'))

    op.drop_table('credentials')
    op.drop_table('credential_status_lists')
