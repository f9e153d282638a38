"""An organisation is one pool: which conversations are private; where a mentor is written to

- `channel`: whether a conversation that holds questions is private (storage.channels): the
  organisation's knowledge base shows a question of a private conversation only there. What was
  posted before is learnt from Slack after the upgrade: one `ask.channel_privacy` outbox row per
  conversation; until it is sent, those questions are found only from their own conversation.
- `mentorship.mentor_team_id`: the workspace the mentor volunteered in, now that a protégé may
  be matched with a mentor of another workspace of the organisation. Every mentorship so far is
  within one workspace: it gets its own.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 10:00:00
"""

import json
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa
import sqlmodel

import storage.columns

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('channel',
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('private', sa.Boolean(), nullable=False),
    sa.Column('checked_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('team_id', 'channel_id')
    )
    with op.batch_alter_table('mentorship', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mentor_team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE mentorship SET mentor_team_id = team_id WHERE mentor_team_id IS NULL"))
    # Learn each conversation's privacy from Slack, through the outbox (one row per conversation).
    found = bind.execute(
        sa.text(
            "SELECT DISTINCT team_id, channel_id FROM question "
            "WHERE channel_id <> '' AND status = 'posted' ORDER BY team_id, channel_id"
        )
    ).all()
    outbox = sa.table(
        'outbox',
        sa.column('team_id'), sa.column('dedupe_key'), sa.column('kind'), sa.column('payload'),
        sa.column('status'), sa.column('attempts'),
        sa.column('next_attempt_at', storage.columns.UTCDateTime(timezone=True)),
        sa.column('created_at', storage.columns.UTCDateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    if found:
        op.bulk_insert(outbox, [
            dict(
                team_id=team_id, dedupe_key=f"channel-privacy:{channel_id}", kind='ask.channel_privacy',
                payload=json.dumps({"channel_id": channel_id}), status='pending', attempts=0,
                next_attempt_at=now, created_at=now,
            )
            for team_id, channel_id in found
        ])


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(sa.text("DELETE FROM outbox WHERE kind = 'ask.channel_privacy'"))
    with op.batch_alter_table('mentorship', schema=None) as batch_op:
        batch_op.drop_column('mentor_team_id')
    op.drop_table('channel')
