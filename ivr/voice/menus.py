"""The phone menu tree and the key map, the same in every menu and both languages."""

from __future__ import annotations

from dataclasses import dataclass

# The key map said once in the welcome (prompt voice_keys) and kept everywhere.
KEY_PERSON = "0"
KEY_REPEAT = "9"
KEY_BACK = "*"
KEY_MAIN = "#"
KEY_SWITCH_LANGUAGE = "8"  # main menu only: offered in the other language

# While an answer plays (prompt voice_answer_keys).
KEY_NEXT = "1"
KEY_SLOWER = "2"
KEY_TEXT = "3"
KEY_END = "4"

# At the bilingual welcome.
LANGUAGE_KEYS = {"1": "en", "2": "es"}

# After a type of cancer's sites (prompt voice_sites_next).
KEY_ANOTHER_CANCER = "1"
KEY_WHOLE_TABLE = "2"

CANCERS_PER_PAGE = 4
KEY_MORE_CANCERS = "5"  # on the last page: the whole table


@dataclass(frozen=True)
class Menu:
    """A menu: the prompt that reads it, and what keys 1, 2, ... lead to."""

    id: str
    prompt: str
    choices: tuple[str, ...]  # "topic:<id>" or "menu:<id>", for keys 1, 2, ... in order
    parent: str | None


# Every answer is at most two choices from the main menu; the most asked come first.
MENUS = {
    menu.id: menu
    for menu in (
        Menu(
            "main",
            "voice_menu_main",
            ("topic:what-is", "topic:symptoms", "menu:treatment", "menu:spread", "menu:other"),
            None,
        ),
        Menu(
            "treatment", "voice_menu_treatment", ("topic:treatment", "topic:new-treatments"), "main"
        ),
        Menu(
            "spread",
            "voice_menu_spread",
            ("topic:where-spread", "topic:how-spread", "topic:which-cancers"),
            "main",
        ),
        Menu("other", "voice_menu_other", ("topic:unknown-primary", "topic:second-cancer"), "main"),
    )
}


def menu_of(topic_id: str) -> str:
    """The menu a topic is chosen from, where "back" from its first part leads."""
    return next(menu.id for menu in MENUS.values() if f"topic:{topic_id}" in menu.choices)
