"""Officials' workspace: households (a village's, by address label) and assisted registrations,
a folded name on users for accent-free search, when a learner started a course, roster imports,
and the rollup counters of the dashboards (filled by `flask lms rollups-rebuild`).

Revision ID: 0007_officials_workspace
Revises: 0006_learning_best_scores
Create Date: 2026-12-01 23:39:27.831808

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_officials_workspace'
down_revision = '0006_learning_best_scores'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('household_progress',
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('completers', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('household_id', 'course_id', name=op.f('pk_household_progress'))
    )
    op.create_table('rollup_days',
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('place', sa.String(length=16), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('days', sa.SmallInteger(), nullable=False),
    sa.Column('shard', sa.SmallInteger(), nullable=False),
    sa.Column('learners', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('level', 'place', 'course_id', 'days', 'shard', name=op.f('pk_rollup_days'))
    )
    op.create_table('rollup_weeks',
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('place', sa.String(length=16), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('shard', sa.SmallInteger(), nullable=False),
    sa.Column('enrolled', sa.Integer(), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.Column('certified', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('level', 'place', 'course_id', 'week', 'shard', name=op.f('pk_rollup_weeks'))
    )
    op.create_table('rollups',
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('place', sa.String(length=16), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('shard', sa.SmallInteger(), nullable=False),
    sa.Column('enrolled', sa.Integer(), nullable=False),
    sa.Column('started', sa.Integer(), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.Column('certified', sa.Integer(), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('level', 'place', 'course_id', 'shard', name=op.f('pk_rollups'))
    )
    op.create_table('households',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('commune_code', sa.String(length=5), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('label_key', sa.String(length=120), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['commune_code'], ['communes.code'], name=op.f('fk_households_commune_code_communes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_households_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_households_village_id_villages'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_households')),
    sa.UniqueConstraint('village_id', 'label_key', name=op.f('uq_households_village_id_label_key'))
    )
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_households_commune_code'), ['commune_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_households_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_households_village_id'), ['village_id'], unique=False)

    op.create_table('assisted_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('consent_read_aloud_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['users.id'], name=op.f('fk_assisted_registrations_citizen_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_assisted_registrations_household_id_households'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['users.id'], name=op.f('fk_assisted_registrations_member_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assisted_registrations')),
    sa.UniqueConstraint('citizen_id', name=op.f('uq_assisted_registrations_citizen_id'))
    )
    with op.batch_alter_table('assisted_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assisted_registrations_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assisted_registrations_member_id'), ['member_id'], unique=False)

    op.create_table('roster_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('commune_code', sa.String(length=5), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('stored_path', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('processed_rows', sa.Integer(), nullable=False),
    sa.Column('created_count', sa.Integer(), nullable=False),
    sa.Column('matched_count', sa.Integer(), nullable=False),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['commune_code'], ['communes.code'], name=op.f('fk_roster_imports_commune_code_communes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_roster_imports_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_roster_imports_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_imports'))
    )
    with op.batch_alter_table('roster_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_imports_commune_code'), ['commune_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_roster_imports_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_roster_imports_file_sha256'), ['file_sha256'], unique=False)

    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', sa.String(length=160), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('household_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_name_key'), ['name_key'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_household_id_households'), 'households', ['household_id'], ['id'], ondelete='SET NULL')

    # Fold the names already there, the way User's validator does for new ones.
    from lms.core.text import fold

    users = sa.table('users', sa.column('id', sa.Integer), sa.column('full_name', sa.String), sa.column('name_key', sa.String))
    connection = op.get_bind()
    for user_id, full_name in connection.execute(sa.select(users.c.id, users.c.full_name)).all():
        connection.execute(users.update().where(users.c.id == user_id).values(name_key=fold(full_name or '')))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_household_id_households'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_name_key'))
        batch_op.drop_index(batch_op.f('ix_users_household_id'))
        batch_op.drop_column('household_id')
        batch_op.drop_column('name_key')

    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_column('started_at')

    with op.batch_alter_table('roster_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_imports_file_sha256'))
        batch_op.drop_index(batch_op.f('ix_roster_imports_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_roster_imports_commune_code'))

    op.drop_table('roster_imports')
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_households_village_id'))
        batch_op.drop_index(batch_op.f('ix_households_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_households_commune_code'))

    op.drop_table('households')
    with op.batch_alter_table('assisted_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assisted_registrations_member_id'))
        batch_op.drop_index(batch_op.f('ix_assisted_registrations_household_id'))

    op.drop_table('assisted_registrations')
    op.drop_table('rollups')
    op.drop_table('rollup_weeks')
    op.drop_table('rollup_days')
    op.drop_table('household_progress')
