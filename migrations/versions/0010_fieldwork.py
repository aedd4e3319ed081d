"""Field work: local platforms, targets, campaigns, the outreach log with its history, and the
counters the reports read (outreach_counts by month, outreach_days by day, sharded by household;
outreach_household_tasks for the day a household was first helped with a task).

Revision ID: 0010_fieldwork
Revises: 0009_community
Create Date: 2026-12-02 01:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_fieldwork'
down_revision = '0009_community'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outreach_counts',
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('place', sa.String(length=16), nullable=False),
    sa.Column('task_code', sa.String(length=32), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('shard', sa.SmallInteger(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('follow_up', sa.Integer(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('level', 'place', 'task_code', 'month', 'shard', name=op.f('pk_outreach_counts'))
    )
    op.create_table('outreach_days',
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('place', sa.String(length=16), nullable=False),
    sa.Column('task_code', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('shard', sa.SmallInteger(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('level', 'place', 'task_code', 'day', 'shard', name=op.f('pk_outreach_days'))
    )
    op.create_table('fieldwork_campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_code', sa.String(length=5), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('task_code', sa.String(length=32), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_fieldwork_campaigns_dates_in_order')),
    sa.ForeignKeyConstraint(['commune_code'], ['communes.code'], name=op.f('fk_fieldwork_campaigns_commune_code_communes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_fieldwork_campaigns_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fieldwork_campaigns'))
    )
    with op.batch_alter_table('fieldwork_campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fieldwork_campaigns_commune_code'), ['commune_code'], unique=False)

    op.create_table('fieldwork_platforms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('place', sa.String(length=5), nullable=False),
    sa.Column('task_code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_key', sa.String(length=120), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_fieldwork_platforms_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fieldwork_platforms')),
    sa.UniqueConstraint('level', 'place', 'name_key', name=op.f('uq_fieldwork_platforms_level_place_name_key'))
    )
    with op.batch_alter_table('fieldwork_platforms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fieldwork_platforms_place'), ['place'], unique=False)

    op.create_table('fieldwork_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('task_code', sa.String(length=32), nullable=False),
    sa.Column('period', sa.String(length=12), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('households >= 0', name=op.f('ck_fieldwork_targets_households_not_negative')),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_fieldwork_targets_set_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_fieldwork_targets_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fieldwork_targets')),
    sa.UniqueConstraint('team_id', 'task_code', 'period', name=op.f('uq_fieldwork_targets_team_id_task_code_period'))
    )
    with op.batch_alter_table('fieldwork_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fieldwork_targets_team_id'), ['team_id'], unique=False)

    op.create_table('outreach_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('commune_code', sa.String(length=5), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('task_code', sa.String(length=32), nullable=False),
    sa.Column('item_code', sa.String(length=40), nullable=True),
    sa.Column('done_on', sa.Date(), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('people', sa.SmallInteger(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint('people >= 1 AND people <= 50', name=op.f('ck_outreach_entries_people_range')),
    sa.ForeignKeyConstraint(['commune_code'], ['communes.code'], name=op.f('fk_outreach_entries_commune_code_communes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_outreach_entries_household_id_households'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['member_id'], ['users.id'], name=op.f('fk_outreach_entries_member_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_outreach_entries_team_id_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_outreach_entries_village_id_villages'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outreach_entries')),
    sa.UniqueConstraint('client_id', name=op.f('uq_outreach_entries_client_id')),
    sa.UniqueConstraint('household_id', 'task_code', 'done_on', name=op.f('uq_outreach_entries_household_id_task_code_done_on'))
    )
    with op.batch_alter_table('outreach_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outreach_entries_commune_code'), ['commune_code'], unique=False)
        batch_op.create_index('ix_outreach_entries_household_task', ['household_id', 'task_code'], unique=False)
        batch_op.create_index('ix_outreach_entries_member_created', ['member_id', 'created_at'], unique=False)
        batch_op.create_index('ix_outreach_entries_team_created', ['team_id', 'created_at'], unique=False)

    op.create_table('outreach_household_tasks',
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('task_code', sa.String(length=32), nullable=False),
    sa.Column('first_done_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_outreach_household_tasks_household_id_households'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('household_id', 'task_code', name=op.f('pk_outreach_household_tasks'))
    )
    op.create_table('outreach_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_outreach_revisions_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entry_id'], ['outreach_entries.id'], name=op.f('fk_outreach_revisions_entry_id_outreach_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outreach_revisions')),
    sa.UniqueConstraint('entry_id', 'revision', name=op.f('uq_outreach_revisions_entry_id_revision'))
    )


def downgrade():
    op.drop_table('outreach_revisions')
    op.drop_table('outreach_household_tasks')
    with op.batch_alter_table('outreach_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_outreach_entries_team_created')
        batch_op.drop_index('ix_outreach_entries_member_created')
        batch_op.drop_index('ix_outreach_entries_household_task')
        batch_op.drop_index(batch_op.f('ix_outreach_entries_commune_code'))

    op.drop_table('outreach_entries')
    with op.batch_alter_table('fieldwork_targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fieldwork_targets_team_id'))

    op.drop_table('fieldwork_targets')
    with op.batch_alter_table('fieldwork_platforms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fieldwork_platforms_place'))

    op.drop_table('fieldwork_platforms')
    with op.batch_alter_table('fieldwork_campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fieldwork_campaigns_commune_code'))

    op.drop_table('fieldwork_campaigns')
    op.drop_table('outreach_days')
    op.drop_table('outreach_counts')
