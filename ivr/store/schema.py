"""The line's tables: what it keeps, keyed by the hash of a phone number, never the number.

Alembic's migrations (ivr/migrations) create and change them; this metadata is what they are
checked against.
"""

import sqlalchemy as sa

metadata = sa.MetaData()

caller_preferences = sa.Table(
    "caller_preferences",
    metadata,
    sa.Column("number_hash", sa.String(64), primary_key=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

sms_opt_outs = sa.Table(
    "sms_opt_outs",
    metadata,
    sa.Column("number_hash", sa.String(64), primary_key=True),
    sa.Column("opted_out", sa.Boolean, nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
)

sms_conversations = sa.Table(
    "sms_conversations",
    metadata,
    sa.Column("number_hash", sa.String(64), primary_key=True),
    sa.Column("topic_id", sa.String(64)),
    sa.Column("next_part", sa.Integer, nullable=False, default=0),
    sa.Column("last_message_sid", sa.String(64)),
    sa.Column("last_reply", sa.Text),
    sa.Column("misses", sa.Integer, nullable=False, default=0, server_default="0"),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

usage_events = sa.Table(
    "usage_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("channel", sa.String(8), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("topic", sa.String(64)),
    sa.Column("language", sa.String(8)),
    sa.Column("detail", sa.String(200)),
    sa.Column("session", sa.String(16), index=True),  # keyed hash of a CallSid, never a number
    sa.Column("place", sa.String(16)),
    sa.Column("reached", sa.String(16)),
    sa.Column("part", sa.SmallInteger),
)

# Usage events counted by day as they are written: what the report reads. "" and 0 stand for
# "none", so that the key is a primary key on both databases.
usage_counts = sa.Table(
    "usage_counts",
    metadata,
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
    sqlite_with_rowid=False,  # SQLite keeps the rows in key order: a period is one range read
)

# Words of texts the line did not understand, and how many different numbers sent each. Which
# numbers sent a word is not kept beside it: only word_senders holds a keyed hash of each
# (word, number) pair, so a number counts once per word, and it holds no word and no number hash.
unknown_words = sa.Table(
    "unknown_words",
    metadata,
    sa.Column("word", sa.String(20), primary_key=True),
    sa.Column("senders", sa.Integer, nullable=False),
    sa.Column("first_seen", sa.Date, nullable=False),
    sa.Column("last_seen", sa.Date, nullable=False, index=True),
)

word_senders = sa.Table(
    "word_senders",
    metadata,
    sa.Column("token", sa.String(32), primary_key=True),
    sa.Column("seen_on", sa.Date, nullable=False, index=True),
)
