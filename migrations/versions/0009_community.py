"""Community: monthly topics with Q&A, good-practice stories, evaluation scorecards (filled in
by the commits that add them).

Revision ID: 0009_community
Revises: 0008_credentials
Create Date: 2026-12-02 01:00:00.000000

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0009_community'
down_revision = '0008_credentials'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
