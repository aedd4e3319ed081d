"""Field work: tasks, targets, the outreach log, campaigns and their counters (filled in by the
commits that add them).

Revision ID: 0010_fieldwork
Revises: 0009_community
Create Date: 2026-12-02 01:00:00.000000

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0010_fieldwork'
down_revision = '0009_community'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
