"""Quiz attempts: at most one open attempt per learner and module, held by a partial unique
index, so two parallel "start" clicks can no longer both open an attempt (the loser of the
race now hits the index and takes the winner's attempt). Databases that already hold two
open attempts for one learner and module keep the newest one open and mark the older ones
'abandoned' (replaced by a newer attempt before submission) before the index is built.

Revision ID: 0004_quiz_one_open_attempt
Revises: 0003_certificates
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_quiz_one_open_attempt'
down_revision = '0003_certificates'
branch_labels = None
depends_on = None

ONE_OPEN_WHERE = sa.text("state = 'open'")


def upgrade():
    op.execute(
        "UPDATE quiz_attempts SET state = 'abandoned' "
        "WHERE state = 'open' AND EXISTS ("
        "SELECT 1 FROM quiz_attempts AS newer "
        "WHERE newer.user_id = quiz_attempts.user_id AND newer.module_id = quiz_attempts.module_id "
        "AND newer.state = 'open' AND newer.number > quiz_attempts.number)"
    )
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.create_index(
            'uq_quiz_attempts_open_user_id_module_id', ['user_id', 'module_id'], unique=True,
            sqlite_where=ONE_OPEN_WHERE, postgresql_where=ONE_OPEN_WHERE,
        )


def downgrade():
    # The attempts marked 'abandoned' stay closed: reopening them would break the rule again.
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.drop_index('uq_quiz_attempts_open_user_id_module_id')
