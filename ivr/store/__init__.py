"""The store: language preferences, SMS opt-outs, SMS paging and anonymous usage events.

`schema` holds the tables, `engine` connects and migrates, `queries` the Store that reads and
writes them. The Store takes phone numbers and keeps only their keyed hash.
"""

from ivr.store.engine import create_engine, upgrade_schema
from ivr.store.queries import SmsState, Store

__all__ = ["SmsState", "Store", "create_engine", "upgrade_schema"]
