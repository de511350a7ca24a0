"""Usage events carry a keyed hash of their call, so a call's end can name its last place.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add usage_events.session and index it."""
    with op.batch_alter_table("usage_events") as batch:
        batch.add_column(sa.Column("session", sa.String(16)))
        batch.create_index("ix_usage_events_session", ["session"])


def downgrade() -> None:
    """Drop usage_events.session."""
    with op.batch_alter_table("usage_events") as batch:
        batch.drop_index("ix_usage_events_session")
        batch.drop_column("session")
