"""The menu tree: short menus, every answer within two choices, and menus that say their keys."""

from __future__ import annotations

import re

import pytest

from ivr.content import LANGUAGES, load_content
from ivr.voice.menus import CANCERS_PER_PAGE, MENUS, ToMenu, ToTopic, menu_of
from ivr.voice.protocol import MenuId

CONTENT = load_content()
PRESS = {"en": r"press {}\b", "es": r"oprima {}\b"}


def test_menus_are_short() -> None:
    assert all(1 <= len(menu.choices) <= 5 for menu in MENUS.values())


def test_every_answer_is_within_two_choices_of_the_main_menu() -> None:
    reachable: dict[str, int] = {}
    for choice in MENUS[MenuId.MAIN].choices:
        if isinstance(choice, ToTopic):
            reachable[choice.topic_id] = 1
            continue
        for inner in MENUS[choice.menu].choices:
            assert isinstance(inner, ToTopic), "menus are only two levels deep"
            reachable[inner.topic_id] = 2
    assert sorted(reachable) == sorted(t.id for t in CONTENT["en"].topics)


def test_every_topic_appears_once_and_knows_its_menu() -> None:
    choices = [c for menu in MENUS.values() for c in menu.choices if isinstance(c, ToTopic)]
    assert len(choices) == len(set(choices)) == 9
    assert menu_of("symptoms") is MenuId.MAIN
    assert menu_of("new-treatments") is MenuId.TREATMENT


def test_every_menu_a_url_can_name_exists() -> None:
    assert set(MENUS) == set(MenuId)
    targets = {c.menu for menu in MENUS.values() for c in menu.choices if isinstance(c, ToMenu)}
    assert targets | {MenuId.MAIN} == set(MenuId)


@pytest.mark.parametrize("code", LANGUAGES)
@pytest.mark.parametrize("menu_id", list(MENUS))
def test_menu_prompt_says_each_key_once(code: str, menu_id: str) -> None:
    menu = MENUS[menu_id]
    text = CONTENT[code].prompts[menu.prompt]
    for number in range(1, len(menu.choices) + 1):
        assert len(re.findall(PRESS[code].format(number), text)) == 1, (menu_id, number)
    assert not re.search(PRESS[code].format(len(menu.choices) + 1), text)


@pytest.mark.parametrize("code", LANGUAGES)
def test_cancer_pages_name_their_cancers_in_order(code: str) -> None:
    language = CONTENT[code]
    cancers = language.cancers
    pages = [cancers[i : i + CANCERS_PER_PAGE] for i in range(0, len(cancers), CANCERS_PER_PAGE)]
    for number, page in enumerate(pages, 1):
        text = language.prompts[f"voice_cancers_page_{number}"]
        positions = [text.index(cancer.name) for cancer in page]
        assert positions == sorted(positions), number
        for key in range(1, len(page) + 2):
            assert re.search(PRESS[code].format(key), text), (number, key)


@pytest.mark.parametrize("code", LANGUAGES)
def test_key_map_is_said_in_the_welcome(code: str) -> None:
    keys = CONTENT[code].prompts["voice_keys"]
    words = {"en": ("9", "star", "pound", "0"), "es": ("9", "asterisco", "numeral", "0")}
    assert all(word in keys for word in words[code])
