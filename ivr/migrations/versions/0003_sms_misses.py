"""A texter's conversation counts the messages in a row the line did not understand.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add sms_conversations.misses, 0 for every conversation so far."""
    with op.batch_alter_table("sms_conversations") as batch:
        batch.add_column(sa.Column("misses", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    """Drop sms_conversations.misses."""
    with op.batch_alter_table("sms_conversations") as batch:
        batch.drop_column("misses")
