"""Community: monthly scorecards of teams, communes and provinces (evaluation criteria); monthly
topics with Q&A and good-practice stories are added by later commits of this revision.

Revision ID: 0009_community
Revises: 0008_credentials
Create Date: 2026-12-02 01:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_community'
down_revision = '0008_credentials'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scorecards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('place', sa.String(length=16), nullable=False),
    sa.Column('province_code', sa.String(length=2), nullable=False),
    sa.Column('commune_code', sa.String(length=5), nullable=True),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('level_key', sa.String(length=32), nullable=False),
    sa.Column('level_name', sa.String(length=80), nullable=False),
    sa.Column('criteria_version', sa.String(length=32), nullable=False),
    sa.Column('criteria_sha256', sa.String(length=64), nullable=False),
    sa.Column('breakdown', sa.JSON(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scorecards')),
    sa.UniqueConstraint('month', 'level', 'place', name=op.f('uq_scorecards_month_level_place'))
    )
    op.create_index('ix_scorecards_rank', 'scorecards', ['month', 'level', 'province_code', 'score'], unique=False)
    op.create_index('ix_scorecards_history', 'scorecards', ['level', 'place', 'month'], unique=False)
    op.create_index('ix_scorecards_top', 'scorecards', ['month', 'level', 'score'], unique=False)


def downgrade():
    op.drop_index('ix_scorecards_top', table_name='scorecards')
    op.drop_index('ix_scorecards_history', table_name='scorecards')
    op.drop_index('ix_scorecards_rank', table_name='scorecards')
    op.drop_table('scorecards')
