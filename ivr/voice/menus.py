"""The phone menu tree and the key map, the same in every menu and both languages.

Where a key is handled: GLOBAL_KEYS first, then PLACE_KEYS[place] (and MENU_KEYS[menu] at a
menu); any other digit is a Choice of that number, which the place's handler in flow.py reads
(at a menu: MENUS[menu].choices[number - 1]).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ivr.content import SITES_TOPIC, LanguageContent
from ivr.voice.protocol import Command, MenuId, Place

# The key map said once in the welcome (prompt voice_keys) and kept everywhere.
KEY_PERSON = "0"
KEY_REPEAT = "9"
KEY_BACK = "*"
KEY_MAIN = "#"
KEY_SWITCH_LANGUAGE = "8"  # main menu only: offered in the other language
KEY_MORE_TIME = "7"  # longer pauses for the rest of the call (said in the key map)

# While an answer plays (prompt voice_answer_keys).
KEY_NEXT = "1"
KEY_SLOWER = "2"
KEY_TEXT = "3"
KEY_END = "4"

# At the bilingual welcome.
LANGUAGE_KEYS = MappingProxyType({"1": "en", "2": "es"})

# After a type of cancer's sites (prompt voice_sites_next).
KEY_ANOTHER_CANCER = 1
KEY_WHOLE_TABLE = 2

CANCERS_PER_PAGE = 4
KEY_MORE_CANCERS = 5  # on the last page: the whole table

# Keys that mean the same wherever the caller is.
GLOBAL_KEYS: Mapping[str, Command] = MappingProxyType(
    {
        KEY_PERSON: Command.PERSON,
        KEY_REPEAT: Command.REPEAT,
        KEY_BACK: Command.BACK,
        KEY_MAIN: Command.MAIN_MENU,
        KEY_MORE_TIME: Command.MORE_TIME,
    }
)
_ANSWER_KEYS = MappingProxyType(
    {
        KEY_NEXT: Command.NEXT,
        KEY_SLOWER: Command.SLOWER,
        KEY_TEXT: Command.TEXT,
        KEY_END: Command.GOODBYE,
    }
)
# Keys that mean a command only at one place.
PLACE_KEYS: Mapping[Place, Mapping[str, Command]] = MappingProxyType(
    {Place.ANSWER: _ANSWER_KEYS, Place.ANSWER_END: _ANSWER_KEYS}
)
# Keys that mean a command only at one menu.
MENU_KEYS: Mapping[MenuId, Mapping[str, Command]] = MappingProxyType(
    {MenuId.MAIN: MappingProxyType({KEY_SWITCH_LANGUAGE: Command.OTHER_LANGUAGE})}
)


@dataclass(frozen=True)
class ToTopic:
    """A menu choice that plays an answer."""

    topic_id: str


@dataclass(frozen=True)
class ToMenu:
    """A menu choice that opens another menu."""

    menu: MenuId


@dataclass(frozen=True)
class Menu:
    """A menu: the prompt that reads it, and what keys 1, 2, ... lead to."""

    id: MenuId
    prompt: str
    choices: tuple[ToTopic | ToMenu, ...]  # for keys 1, 2, ... in order
    parent: MenuId | None


# Every answer is at most two choices from the main menu; the most asked come first.
MENUS: Mapping[MenuId, Menu] = MappingProxyType(
    {
        menu.id: menu
        for menu in (
            Menu(
                MenuId.MAIN,
                "voice_menu_main",
                (
                    ToTopic("what-is"),
                    ToTopic("symptoms"),
                    ToMenu(MenuId.TREATMENT),
                    ToMenu(MenuId.SPREAD),
                    ToMenu(MenuId.OTHER),
                ),
                None,
            ),
            Menu(
                MenuId.TREATMENT,
                "voice_menu_treatment",
                (ToTopic("treatment"), ToTopic("new-treatments")),
                MenuId.MAIN,
            ),
            Menu(
                MenuId.SPREAD,
                "voice_menu_spread",
                (ToTopic(SITES_TOPIC), ToTopic("how-spread"), ToTopic("which-cancers")),
                MenuId.MAIN,
            ),
            Menu(
                MenuId.OTHER,
                "voice_menu_other",
                (ToTopic("unknown-primary"), ToTopic("second-cancer")),
                MenuId.MAIN,
            ),
        )
    }
)


def menu_of(topic_id: str) -> MenuId:
    """The menu a topic is chosen from, where "back" from its first part leads."""
    return next(menu.id for menu in MENUS.values() if ToTopic(topic_id) in menu.choices)


def key_meaning(key: str, place: Place, menu: MenuId) -> Command | None:
    """The command a key stands for at a place, or None when it is a numbered choice there."""
    command = GLOBAL_KEYS.get(key) or PLACE_KEYS.get(place, {}).get(key)
    if command is None and place is Place.MENU:
        command = MENU_KEYS.get(menu, {}).get(key)
    return command


def page_count(language: LanguageContent) -> int:
    """How many pages the list of cancer types takes."""
    return -(-len(language.cancers) // CANCERS_PER_PAGE)


def page_of_cancers(language: LanguageContent, page: int) -> tuple[str, ...]:
    """The ids of the cancer types read on one page of the list, in order."""
    ids = [c.id for c in language.cancers]
    start = (page - 1) * CANCERS_PER_PAGE
    return tuple(ids[start : start + CANCERS_PER_PAGE])


def page_number(language: LanguageContent, cancer_id: str) -> int:
    """The page of the list a cancer type is read on."""
    index = [c.id for c in language.cancers].index(cancer_id)
    return index // CANCERS_PER_PAGE + 1
