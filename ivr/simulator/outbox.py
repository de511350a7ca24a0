"""The texts the line sent through the simulator's stand-in for Twilio's Messages API."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field


@dataclass
class Outbox:
    """Text messages the line sent through the simulator's stand-in for Twilio's API."""

    messages: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
