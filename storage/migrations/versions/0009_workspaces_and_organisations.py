"""Workspaces and their organisations; whose figures a scoreboard shows

Every workspace a row belongs to gets a `workspace` row whose organisation is, until Knowhow
learns it is part of an Enterprise Grid organisation, the workspace itself.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 19:10:00
"""

from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa
import sqlmodel

import storage.columns

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# Every table that held a workspace's rows before this revision.
TABLES = (
    'question', 'answer', 'topic', 'expertise', 'helper_preference', 'invitation', 'designated_channel',
    'expert_session', 'mentor_profile', 'volunteer', 'mentor_request', 'mentorship', 'mentor_call',
    'scoreboard_settings', 'scoreboard_week', 'outbox',
)


def upgrade() -> None:
    op.create_table('workspace',
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('org_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('enterprise_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('enterprise_install', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('seen_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('gone_at', storage.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('gone_reason', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.PrimaryKeyConstraint('team_id')
    )
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workspace_org_id'), ['org_id'], unique=False)
    with op.batch_alter_table('scoreboard_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=16), server_default='organisation', nullable=False))
    # Existing data: every current row belongs to the organisation of its workspace, which is the
    # workspace itself until an install or a request says it is part of a Grid organisation.
    bind = op.get_bind()
    known = " UNION ".join(f"SELECT team_id FROM {table}" for table in TABLES)
    teams = sorted(row[0] for row in bind.execute(sa.text(known)))
    workspace = sa.table(
        'workspace',
        sa.column('team_id'), sa.column('org_id'), sa.column('enterprise_install'),
        sa.column('seen_at', storage.columns.UTCDateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    if teams:
        op.bulk_insert(workspace, [dict(team_id=t, org_id=t, enterprise_install=False, seen_at=now) for t in teams])


def downgrade() -> None:
    with op.batch_alter_table('scoreboard_settings', schema=None) as batch_op:
        batch_op.drop_column('scope')
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workspace_org_id'))
    op.drop_table('workspace')
