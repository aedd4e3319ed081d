"""Learning keeps each learner's best quiz score per course and module itself (best_scores),
filled from the quiz_graded signal, so learning no longer reads quiz attempts back. Existing
graded attempts fill the table once.

Revision ID: 0006_learning_best_scores
Revises: 0005_sessions
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_learning_best_scores'
down_revision = '0005_sessions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('best_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('best_percent', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_best_scores_course_id_courses'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_best_scores_module_id_modules'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_best_scores_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_best_scores')),
    sa.UniqueConstraint('user_id', 'course_id', 'module_id', name=op.f('uq_best_scores_user_id_course_id_module_id'))
    )
    with op.batch_alter_table('best_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_best_scores_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_best_scores_module_id'), ['module_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_best_scores_user_id'), ['user_id'], unique=False)
    # The best of the graded attempts so far; every later grade raises it through the signal.
    op.execute(
        "INSERT INTO best_scores (user_id, course_id, module_id, best_percent, updated_at) "
        "SELECT user_id, course_id, module_id, MAX(percent), MAX(submitted_at) FROM quiz_attempts "
        "WHERE percent IS NOT NULL AND submitted_at IS NOT NULL GROUP BY user_id, course_id, module_id"
    )


def downgrade():
    with op.batch_alter_table('best_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_best_scores_user_id'))
        batch_op.drop_index(batch_op.f('ix_best_scores_module_id'))
        batch_op.drop_index(batch_op.f('ix_best_scores_course_id'))

    op.drop_table('best_scores')
