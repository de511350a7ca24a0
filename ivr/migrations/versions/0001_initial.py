"""The first schema: preferences, opt-outs, SMS conversations and usage events.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the four tables."""
    op.create_table(
        "caller_preferences",
        sa.Column("number_hash", sa.String(64), primary_key=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sms_opt_outs",
        sa.Column("number_hash", sa.String(64), primary_key=True),
        sa.Column("opted_out", sa.Boolean, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sms_conversations",
        sa.Column("number_hash", sa.String(64), primary_key=True),
        sa.Column("topic_id", sa.String(64)),
        sa.Column("next_part", sa.Integer, nullable=False),
        sa.Column("last_message_sid", sa.String(64)),
        sa.Column("last_reply", sa.Text),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "usage_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("topic", sa.String(64)),
        sa.Column("language", sa.String(8)),
        sa.Column("detail", sa.String(200)),
    )
    op.create_index("ix_usage_events_occurred_at", "usage_events", ["occurred_at"])


def downgrade() -> None:
    """Drop the four tables."""
    op.drop_index("ix_usage_events_occurred_at", "usage_events")
    for table in ("usage_events", "sms_conversations", "sms_opt_outs", "caller_preferences"):
        op.drop_table(table)
