"""The content: complete in both languages, the fact sheet's own words, and strictly validated."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pytest
import yaml

from ivr import create_app
from ivr.content import (
    CONTENT_DIR,
    FACT_SHEET,
    LANGUAGES,
    Content,
    ContentError,
    fact_sheet_form,
    fold,
    load_content,
)
from ivr.content.model import starts_with_sound
from ivr.segments import is_gsm7

# How the fact sheet's table names each site, by the content's site id.
TABLE_SITE_WORDS = {
    "lungs": "lungs",
    "liver": "liver",
    "bones": "bones",
    "peritoneum": "peritoneum",
    "adrenal-gland": "adrenal gland",
    "skin-muscle": "skin/muscle",
}

# The caption of the fact sheet's figure in answer 4; it interrupts the list when spoken.
FIGURE_CAPTION = (
    "Metastatic cancer cells invade lymph vessels and blood vessels near a tumor and migrate "
    "to other parts of the body."
)


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def fact_sheet_sections() -> list[tuple[str, str]]:
    """The fact sheet's nine numbered questions with the text of each answer."""
    text = FACT_SHEET.read_text(encoding="utf-8")
    body = text.split("Selected References")[0]
    pieces = re.split(r"^\s+(\d)\. (.+\?)\s*$", body, flags=re.M)
    return [(pieces[i + 1], pieces[i + 2]) for i in range(1, len(pieces) - 1, 3)]


def table_rows() -> list[tuple[str, list[str]]]:
    """The sites table as (cancer type, [three sites]) in the fact sheet's order."""
    section = dict(fact_sheet_sections())["Where does cancer spread?"]
    lines = [line.strip() for line in section.split("metastasis")[-1].splitlines()]
    lines = [line for line in lines if line and not line.startswith("Cancer type")]
    rows, pending = [], None
    for line in lines:
        joined = re.match(r"^([A-Z][a-z]+)([A-Z].*)$", line)
        if joined:
            rows.append((joined[1], joined[2].lower().split(", ")))
        elif pending is None:
            pending = line
        else:
            rows.append((pending, line.lower().split(", ")))
            pending = None
    return rows


def test_both_languages_are_complete(content: Content) -> None:
    for code in LANGUAGES:
        language = content[code]
        assert len(language.topics) == 9
        assert len(language.cancers) == 12
        assert [t.number for t in language.topics] == list(range(1, 10))
        assert [t.id for t in language.topics] == [t.id for t in content["en"].topics]
        assert all(t.parts and t.summary and t.keywords for t in language.topics)


def test_english_titles_are_the_fact_sheets_questions(content: Content) -> None:
    questions = [title for title, _ in fact_sheet_sections()]
    assert [t.title for t in content["en"].topics] == questions


@pytest.mark.parametrize("number", range(1, 10))
def test_english_answer_is_the_whole_fact_sheet_answer(content: Content, number: int) -> None:
    topic = content["en"].topics[number - 1]
    _, answer = fact_sheet_sections()[number - 1]
    remaining = fact_sheet_form(answer)
    for part in topic.parts:
        form = fact_sheet_form(part)
        assert form in remaining, f"part not in answer {number}, or used twice: {part[:50]}"
        remaining = remaining.replace(form, "", 1)
    if topic.id == "where-spread":
        remaining = remaining.split("Cancer typeMain sites")[0]  # the table lives under sites
    remaining = remaining.replace(FIGURE_CAPTION, "")  # a caption, not part of the answer
    assert remaining.strip() == "", f"words of answer {number} are not in any part: {remaining!r}"


def test_english_summaries_quote_the_fact_sheet(content: Content) -> None:
    source = fact_sheet_form(FACT_SHEET.read_text(encoding="utf-8"))
    for topic in content["en"].topics:
        assert is_gsm7(topic.summary), topic.id
        for piece in topic.summary.split("..."):
            assert fact_sheet_form(piece) in source, (topic.id, piece)


def test_sites_table_matches_the_fact_sheet(content: Content) -> None:
    rows = table_rows()
    english = content["en"]
    assert len(rows) == len(english.cancers) == 12
    for cancer, (label, sites) in zip(english.cancers, rows, strict=True):
        assert fold(label) in {fold(s) for s in cancer.synonyms} | {fold(cancer.name)}, label
        assert [TABLE_SITE_WORDS[site] for site in cancer.sites] == sites, cancer.id
    for code in LANGUAGES:
        assert [c.sites for c in content[code].cancers] == [c.sites for c in english.cancers]


def test_key_points_and_credit(content: Content) -> None:
    source = fact_sheet_form(FACT_SHEET.read_text(encoding="utf-8"))
    assert len(content["en"].key_points) == 4
    assert all(fact_sheet_form(point) in source for point in content["en"].key_points)
    assert len(content["es"].key_points) == 4
    for code in LANGUAGES:
        credit = content[code].credit
        assert "2011" in credit
        assert "National Cancer Institute" in credit or "Instituto Nacional del Cáncer" in credit


def test_keywords_pick_one_thing_only(content: Content) -> None:
    owners: dict[str, set[str]] = {}
    for code in LANGUAGES:
        for topic in content[code].topics:
            for word in topic.keywords:
                owners.setdefault(fold(word), set()).add(f"topic {topic.id}")
        for cancer in content[code].cancers:
            for word in cancer.synonyms:
                owners.setdefault(fold(word), set()).add(f"cancer {cancer.id}")
        for command, words in content[code].commands.items():
            for word in words:
                owners.setdefault(fold(word), set()).add(f"command {command}")
    assert {word: o for word, o in owners.items() if len(o) > 1} == {}


def test_commands_are_parsed_in_both_languages(content: Content) -> None:
    assert list(content["en"].commands) == list(content["es"].commands)
    assert "more" in content["en"].commands["more"]
    assert "más" in content["es"].commands["more"]
    for word in ("LUGARES", "LUGAR", "SITIOS"):
        assert fold(word) in {fold(w) for w in content["es"].commands["sites"]}


def test_fold_ignores_case_accents_and_punctuation() -> None:
    assert fold("  ¿SÍNTOMAS?! ") == "sintomas"
    assert fold("Riñón") == "rinon"
    assert fold("skin/muscle") == "skin muscle"


def test_content_is_immutable(content: Content) -> None:
    with pytest.raises(AttributeError):
        content["en"].topics[0].title = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        content["en"].prompts["new"] = "text"  # type: ignore[index]


# -- validation: a broken file is refused with file, id and problem -----------------------


@pytest.fixture
def broken(tmp_path: Path) -> Callable[[str, Callable[[dict], None]], Path]:
    """Copy the content to tmp_path and apply an edit to one language's parsed file."""

    def make(code: str, edit: Callable[[dict], None]) -> Path:
        for language in LANGUAGES:
            shutil.copy(CONTENT_DIR / f"{language}.yaml", tmp_path / f"{language}.yaml")
        path = tmp_path / f"{code}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        edit(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return tmp_path

    return make


def _drop_topic(data: dict) -> None:
    data["topics"] = [t for t in data["topics"] if t["id"] != "symptoms"]


def _empty_summary(data: dict) -> None:
    data["topics"][0]["summary"] = "  "


def _shared_keyword(data: dict) -> None:
    data["topics"][1]["keywords"].append(data["topics"][0]["keywords"][0].upper())


def _invented_part(data: dict) -> None:
    data["topics"][4]["parts"][0] = "Metastatic cancer always causes pain."


def _invented_summary(data: dict) -> None:
    data["topics"][7]["summary"] = "Treatment always works."


def _summary_quoting_another_answer(data: dict) -> None:
    # Each piece is on the page, but together they say the opposite of the answer.
    data["topics"][0]["summary"] = "Metastatic cancer ... can be cured with current treatments."


def _curly_summary(data: dict) -> None:
    data["topics"][0]["summary"] = data["topics"][0]["summary"].replace(".", "\u2019", 1)


def _wrong_sites(data: dict) -> None:
    data["sites"]["cancers"][0]["sites"] = ["liver", "lungs", "bones"]


def _unknown_site(data: dict) -> None:
    data["sites"]["cancers"][2]["sites"][0] = "spleen"


def _placeholder(data: dict) -> None:
    data["prompts"]["test_prompt"] = "Press {digit}."


def _long_summary(data: dict) -> None:
    data["topics"][3]["summary"] = "á" * 151


def _missing_part(data: dict) -> None:
    data["topics"][0]["parts"].pop()


def _command_shares_topic_word(data: dict) -> None:
    data["commands"]["more"].append("Symptoms")


def _missing_command(data: dict) -> None:
    del data["commands"]["sites"]


def _no_commands(data: dict) -> None:
    del data["commands"]


def _empty_command(data: dict) -> None:
    data["commands"]["help"] = []


def _no_and(data: dict) -> None:
    del data["conjunctions"]["and"]


def _unknown_conjunction_form(data: dict) -> None:
    data["conjunctions"]["but_before_x"] = "e"


@pytest.mark.parametrize(
    ("code", "edit", "expected"),
    [
        ("es", _drop_topic, ["es.yaml", "topics", "symptoms"]),
        ("en", _empty_summary, ["en.yaml", "what-is", "summary"]),
        ("es", _shared_keyword, ["es.yaml", "which-cancers", "also belongs to"]),
        ("en", _invented_part, ["en.yaml", "symptoms", "part 1", "fact sheet"]),
        ("en", _invented_summary, ["en.yaml", "treatment", "summary"]),
        ("en", _summary_quoting_another_answer, ["en.yaml", "what-is", "summary words"]),
        ("en", _curly_summary, ["en.yaml", "what-is", "GSM-7"]),
        ("es", _wrong_sites, ["es.yaml", "breast", "sites differ"]),
        ("en", _unknown_site, ["en.yaml", "kidney", "spleen"]),
        ("es", _long_summary, ["es.yaml", "how-spread", "151 characters"]),
        ("es", _missing_part, ["es.yaml", "what-is", "parts"]),
        ("en", _command_shares_topic_word, ["en.yaml", "command more", "topic symptoms"]),
        ("es", _missing_command, ["es.yaml", "commands sites", "missing"]),
        ("en", _no_commands, ["en.yaml", "commands", "mapping"]),
        ("es", _empty_command, ["es.yaml", "commands help", "non-empty list"]),
        ("en", _no_and, ["en.yaml", "conjunctions", "'and' is missing"]),
        ("es", _unknown_conjunction_form, ["es.yaml", "conjunctions but_before_x"]),
    ],
)
def test_broken_content_names_file_id_and_problem(
    broken: Callable, code: str, edit: Callable[[dict], None], expected: list[str]
) -> None:
    directory = broken(code, edit)
    with pytest.raises(ContentError) as error:
        load_content(directory)
    assert any(all(word in problem for word in expected) for problem in error.value.problems), (
        error.value.problems
    )


def test_placeholders_must_match_across_languages(broken: Callable, tmp_path: Path) -> None:
    directory = broken("en", _placeholder)
    spanish = yaml.safe_load((directory / "es.yaml").read_text(encoding="utf-8"))
    spanish["prompts"]["test_prompt"] = "Oprima {tecla}."
    (directory / "es.yaml").write_text(yaml.safe_dump(spanish, allow_unicode=True))
    with pytest.raises(ContentError, match="es.yaml: prompt test_prompt: placeholders differ"):
        load_content(directory)


def test_invalid_yaml_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "en.yaml").write_text("topics: [unclosed\n")
    with pytest.raises(ContentError) as error:
        load_content(tmp_path)
    assert any(p.startswith("en.yaml: not valid YAML") for p in error.value.problems)
    assert "es.yaml: the file is missing." in error.value.problems


def test_broken_content_stops_start_up(broken: Callable, config: dict) -> None:
    directory = broken("es", _drop_topic)
    with pytest.raises(ContentError, match="es.yaml"):
        create_app(config | {"CONTENT_DIR": str(directory)})


def test_sites_sentence_names_the_three_sites_in_order(content: Content) -> None:
    english, spanish = content["en"], content["es"]
    assert english.sites_sentence(english.cancer("breast")) == (
        "For breast cancer, the most common sites of metastasis, excluding lymph nodes, are, "
        "in order: lungs, liver, and bones."
    )
    sentence = spanish.sites_sentence(spanish.cancer("lung"))
    assert sentence.index("glándula suprarrenal") < sentence.index("hígado")
    assert sentence.index("hígado") < sentence.rindex("pulmones")


# How each Spanish sites sentence ends: "y" becomes "e" before the /i/ sound of "hígado".
SPANISH_SITE_LISTS = {
    "breast": "pulmones, hígado y huesos.",
    "colon": "hígado, peritoneo y pulmones.",
    "kidney": "pulmones, hígado y huesos.",
    "lung": "glándula suprarrenal, hígado y pulmones.",
    "melanoma": "pulmones, piel o músculo e hígado.",
    "ovary": "peritoneo, hígado y pulmones.",
    "pancreas": "hígado, pulmones y peritoneo.",
    "prostate": "huesos, pulmones e hígado.",
    "rectum": "hígado, pulmones y glándula suprarrenal.",
    "stomach": "hígado, peritoneo y pulmones.",
    "thyroid": "pulmones, hígado y huesos.",
    "uterus": "hígado, pulmones y peritoneo.",
}


def test_every_sites_sentence_joins_its_last_site_rightly(content: Content) -> None:
    english, spanish = content["en"], content["es"]
    assert [c.id for c in spanish.cancers] == list(SPANISH_SITE_LISTS)
    for cancer in spanish.cancers:
        assert spanish.sites_sentence(cancer).endswith(f": {SPANISH_SITE_LISTS[cancer.id]}")
    for cancer in english.cancers:
        first, second, third = english.sites_of(cancer)
        assert english.sites_sentence(cancer).endswith(f": {first}, {second}, and {third}.")


@pytest.mark.parametrize(
    ("word", "vowel", "expected"),
    [
        ("hígado", "i", True),
        ("intestino", "i", True),
        ("Hilo", "i", True),
        ("íntimo", "i", True),
        ("hielo", "i", False),  # "hie", "hia": a glide, said like y
        ("hierro", "i", False),
        ("huesos", "i", False),
        ("yodo", "i", False),
        ("pulmones", "i", False),
        ("ovario", "o", True),
        ("hombro", "o", True),
        ("Oeste", "o", True),
        ("huevo", "o", False),  # "hue": a glide, said like w
        ("", "i", False),
    ],
)
def test_starts_with_sound(word: str, vowel: str, expected: bool) -> None:
    assert starts_with_sound(word, vowel) is expected


def test_conjunctions_take_the_form_the_next_word_asks_for(content: Content) -> None:
    spanish = replace(
        content["es"],
        conjunctions=MappingProxyType(
            {"and": "y", "and_before_i": "e", "or": "o", "or_before_o": "u"}
        ),
    )
    assert [spanish.conjunction("and", word) for word in ("hígado", "hierro", "huesos")] == [
        "e",
        "y",
        "y",
    ]
    assert [spanish.conjunction("or", word) for word in ("ovario", "hombro", "útero")] == [
        "u",
        "u",
        "o",
    ]
    assert content["en"].conjunction("and", "intestine") == "and"  # English has no other form


# Words a Spanish voice stresses wrongly when they are written without their accent.
UNACCENTED = set(
    "sintoma sintomas metastasico metastasica metastasicos metastasis mas tambien numero "
    "telefono opcion menu informacion linea cancer canceres adonde adios aqui despues organos "
    "clinico clinicos medico medicos diagnostico quimica busqueda region sera podra".split()
)


def test_spoken_spanish_carries_its_accents(content: Content) -> None:
    spanish = content["es"]
    spoken = [(item.id, item.text) for item in spanish.spoken()]
    spoken += [(f"prompt.{i}", t) for i, t in spanish.prompts.items() if not i.startswith("sms_")]
    for item_id, text in spoken:
        words = {word.lower() for word in re.findall(r"\w+", re.sub(r"{\w+}", "", text))}
        assert not words & UNACCENTED, (item_id, sorted(words & UNACCENTED))


def test_spoken_lists_every_fixed_text_once(content: Content) -> None:
    for code in LANGUAGES:
        language = content[code]
        spoken = {item.id: item for item in language.spoken()}
        assert len(spoken) == len(language.spoken())
        parts = sum(len(topic.parts) for topic in language.topics)
        assert sum(item.id.startswith("topic.") for item in spoken.values()) == parts + 9
        assert spoken["topic.symptoms.1"].text == language.topic("symptoms").parts[0]
        assert spoken["topic.symptoms.1"].slow and not spoken["topic.symptoms.title"].slow
        assert spoken["sites.melanoma"].text == language.sites_sentence(language.cancer("melanoma"))
        assert "prompt.voice_fallback" in spoken
        assert not any(item_id.startswith("prompt.sms_") for item_id in spoken)
        assert "prompt.cancer_sites" not in spoken  # a template, filled in per cancer


def test_a_bare_yes_or_no_in_a_word_list_is_refused_with_a_clear_sentence(tmp_path: Path) -> None:
    for code in ("en", "es"):
        text = (CONTENT_DIR / f"{code}.yaml").read_text(encoding="utf-8")
        if code == "en":
            text = text.replace('"yes": ["yes", yeah', '"yes": [yes, yeah', 1)
        (tmp_path / f"{code}.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as error:
        load_content(tmp_path)
    assert "speech yes: 'yes' has True, not a word: write it in quotes." in error.value.problems[0]


@pytest.mark.parametrize("code", ["en", "es"])
def test_a_caller_hears_the_table_sentence_said_for_listening_and_a_texter_reads_the_original(
    code: str,
) -> None:
    content = load_content()
    topic = content[code].topic("where-spread")
    (adaptation,) = content[code].listening
    assert adaptation.original in topic.parts[0]
    assert adaptation.spoken in topic.spoken_part(1)
    assert adaptation.original not in topic.spoken_part(1)
    for visual in ("left to right", "following table", "izquierda a derecha", "siguiente tabla"):
        assert visual not in topic.spoken_part(1)
    assert [p for p in topic.parts[1:]] == [
        topic.spoken_part(n) for n in range(2, len(topic.parts) + 1)
    ]


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("original", "The table on the left shows nothing.", "is not in that part word for word"),
        ("spoken", "Here are the common places, the most common first.", "is not in 'spoken'"),
        ("part", 9, "no such topic or part"),
    ],
)
def test_an_adaptation_for_listeners_is_checked(
    tmp_path: Path, field: str, value: object, problem: str
) -> None:
    for code in ("en", "es"):
        data = yaml.safe_load((CONTENT_DIR / f"{code}.yaml").read_text(encoding="utf-8"))
        if code == "en":
            data["listening"][0][field] = value
        (tmp_path / f"{code}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(ContentError) as error:
        load_content(tmp_path)
    assert any(problem in line for line in error.value.problems), error.value.problems
