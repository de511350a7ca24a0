"""What the report needs: call steps in usage events, counts by day, and not-understood words.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the step columns to usage_events; create usage_counts, unknown_words, word_senders."""
    with op.batch_alter_table("usage_events") as batch:
        batch.add_column(sa.Column("place", sa.String(16)))
        batch.add_column(sa.Column("reached", sa.String(16)))
        batch.add_column(sa.Column("part", sa.SmallInteger))
    op.create_table(
        "usage_counts",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("channel", sa.String(8), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("language", sa.String(8), primary_key=True),
        sa.Column("topic", sa.String(64), primary_key=True),
        sa.Column("detail", sa.String(64), primary_key=True),
        sa.Column("place", sa.String(16), primary_key=True),
        sa.Column("reached", sa.String(16), primary_key=True),
        sa.Column("part", sa.SmallInteger, primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "unknown_words",
        sa.Column("word", sa.String(20), primary_key=True),
        sa.Column("senders", sa.Integer, nullable=False),
        sa.Column("first_seen", sa.Date, nullable=False),
        sa.Column("last_seen", sa.Date, nullable=False),
    )
    op.create_index("ix_unknown_words_last_seen", "unknown_words", ["last_seen"])
    op.create_table(
        "word_senders",
        sa.Column("token", sa.String(32), primary_key=True),
        sa.Column("seen_on", sa.Date, nullable=False),
    )
    op.create_index("ix_word_senders_seen_on", "word_senders", ["seen_on"])


def downgrade() -> None:
    """Drop the report's tables and the step columns."""
    op.drop_index("ix_word_senders_seen_on", "word_senders")
    op.drop_table("word_senders")
    op.drop_index("ix_unknown_words_last_seen", "unknown_words")
    op.drop_table("unknown_words")
    op.drop_table("usage_counts")
    with op.batch_alter_table("usage_events") as batch:
        batch.drop_column("part")
        batch.drop_column("reached")
        batch.drop_column("place")
