"""Checks across the parsed content files: counts, the languages against English, keyword
clashes, the English against the fact sheet, and summary lengths.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ivr.content.model import BEFORE, CONCERNS, LanguageContent, fold, placeholders
from ivr.segments import is_gsm7

SUMMARY_LIMITS = {"en": 230, "es": 150}
TOPIC_COUNT = 9
CANCER_COUNT = 12


def content_problems(
    languages: Mapping[str, LanguageContent], directory: Path, fact_sheet: Path
) -> list[str]:
    """Every problem across the parsed files, each naming file, id and problem."""
    problems: list[str] = []
    for code, language in languages.items():
        problems.extend(_check_counts(language, directory / f"{code}.yaml"))
        problems.extend(_check_conjunctions(language, directory / f"{code}.yaml"))
    problems.extend(_compare_languages(languages))
    problems.extend(_check_keywords(languages))
    for code, language in languages.items():
        if tuple(language.concerns) != CONCERNS:
            problems.append(f"{code}.yaml: concerns: must be {' and '.join(CONCERNS)}, in order.")
    problems.extend(_check_english(languages["en"], fact_sheet, directory / "en.yaml"))
    source = fact_sheet_form(fact_sheet.read_text(encoding="utf-8"))
    adapted = {(a.topic_id, a.part) for a in languages["en"].listening}
    for code, language in languages.items():
        problems.extend(_check_listening(language, source, directory / f"{code}.yaml"))
        if {(a.topic_id, a.part) for a in language.listening} != adapted:
            problems.append(f"{code}.yaml: listening: must adapt the same parts as en.yaml.")
    for code, language in languages.items():
        problems.extend(_check_summaries(language, directory / f"{code}.yaml"))
    return problems


def fact_sheet_form(text: str) -> str:
    """Text with spacing, bullets, curly quotes and the registered sign set aside."""
    for curly, straight in (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"')):
        text = text.replace(curly, straight)
    text = text.replace("\u2022", " ").replace("\u00ae", "")
    return " ".join(text.split())


def _check_counts(language: LanguageContent, path: Path) -> list[str]:
    problems = []
    for kind, items, expected in (
        ("topics", language.topics, TOPIC_COUNT),
        ("cancers", language.cancers, CANCER_COUNT),
    ):
        if len(items) != expected:
            problems.append(f"{path.name}: {kind}: there must be {expected}, not {len(items)}.")
        ids = [item.id for item in items]
        for item_id in sorted({i for i in ids if ids.count(i) > 1}):
            problems.append(f"{path.name}: {kind} {item_id}: the id is used twice.")
    return problems


def _check_conjunctions(language: LanguageContent, path: Path) -> list[str]:
    """The sites sentence needs "and"; each other form names a conjunction and a vowel."""
    problems = []
    if "and" not in language.conjunctions:
        problems.append(
            f"{path.name}: conjunctions: 'and' is missing (the sites sentence uses it)."
        )
    for key in language.conjunctions:
        conjunction, before, vowel = key.partition(BEFORE)
        if before and (conjunction not in language.conjunctions or vowel not in set("aeiou")):
            problems.append(
                f"{path.name}: conjunctions {key}: must be '<conjunction>{BEFORE}<vowel>', "
                "naming a conjunction listed here and one of a, e, i, o, u."
            )
    return problems


def _compare_languages(languages: Mapping[str, LanguageContent]) -> list[str]:
    """Every language must carry the same ids, sites and placeholders as English."""
    english = languages["en"]
    problems = []
    for code, other in languages.items():
        if code == "en":
            continue
        name = f"{code}.yaml"
        for kind, mine, theirs in (
            ("topics", [t.id for t in english.topics], [t.id for t in other.topics]),
            ("cancers", [c.id for c in english.cancers], [c.id for c in other.cancers]),
            ("sites.names", sorted(english.site_names), sorted(other.site_names)),
            ("numbers", sorted(english.numbers), sorted(other.numbers)),
            ("prompts", sorted(english.prompts), sorted(other.prompts)),
            ("speech", sorted(english.speech), sorted(other.speech)),
            ("commands", sorted(english.commands), sorted(other.commands)),
            ("concerns", list(english.concerns), list(other.concerns)),
            ("web", sorted(english.web), sorted(other.web)),
        ):
            for missing in [i for i in mine if i not in theirs]:
                problems.append(f"{name}: {kind} {missing}: is in en.yaml but missing here.")
            for extra in [i for i in theirs if i not in mine]:
                problems.append(f"{name}: {kind} {extra}: is not in en.yaml.")
            if set(mine) == set(theirs) and mine != theirs:
                problems.append(f"{name}: {kind}: must be in the same order as in en.yaml.")
        for cancer in english.cancers:
            theirs_cancer = next((c for c in other.cancers if c.id == cancer.id), None)
            if theirs_cancer and theirs_cancer.sites != cancer.sites:
                problems.append(f"{name}: cancer {cancer.id}: sites differ from en.yaml.")
        for topic in english.topics:
            theirs_topic = next((t for t in other.topics if t.id == topic.id), None)
            if theirs_topic and len(theirs_topic.parts) != len(topic.parts):
                problems.append(
                    f"{name}: topic {topic.id}: has {len(theirs_topic.parts)} parts, "
                    f"en.yaml has {len(topic.parts)}."
                )
        for kind, texts, theirs_texts in (
            ("prompt", english.prompts, other.prompts),
            ("web", english.web, other.web),
        ):
            for text_id, text in texts.items():
                if text_id in theirs_texts and placeholders(text) != placeholders(
                    theirs_texts[text_id]
                ):
                    problems.append(
                        f"{name}: {kind} {text_id}: placeholders differ from en.yaml "
                        f"({sorted(placeholders(text))})."
                    )
    return problems


def _check_keywords(languages: Mapping[str, LanguageContent]) -> list[str]:
    """No word, in either language, may pick two different topics, cancer types, commands or
    concerns: a distress word is never also a topic keyword."""
    owners: dict[str, tuple[str, str]] = {}
    problems = []
    for code, language in languages.items():
        entries = [(f"topic {t.id}", t.keywords) for t in language.topics]
        entries += [(f"cancer {c.id}", c.synonyms) for c in language.cancers]
        entries += [(f"command {name}", words) for name, words in language.commands.items()]
        entries += [(f"concern {name}", words) for name, words in language.concerns.items()]
        for owner, words in entries:
            for word in words:
                key = fold(word)
                if not key:
                    problems.append(f"{code}.yaml: {owner}: '{word}' has no letters.")
                    continue
                first = owners.setdefault(key, (owner, code))
                if first[0] != owner:
                    problems.append(
                        f"{code}.yaml: {owner}: keyword '{word}' also belongs to "
                        f"{first[0]} in {first[1]}.yaml."
                    )
    return problems


def _check_english(english: LanguageContent, fact_sheet: Path, path: Path) -> list[str]:
    """English answers must be the fact sheet's own words; summaries are quotations of it."""
    source = fact_sheet_form(fact_sheet.read_text(encoding="utf-8"))
    key_points = fact_sheet_form(" ".join(english.key_points))
    problems = []
    sections = _sections(english, source)
    for topic in english.topics:
        for index, part in enumerate(topic.parts, 1):
            if fact_sheet_form(part) not in source:
                problems.append(
                    f"{path.name}: topic {topic.id}: part {index} is not in the fact sheet "
                    f"word for word: {part[:60]!r}..."
                )
        # A summary quotes this topic's own answer, or the key points: never words from
        # elsewhere on the page that would change what the answer says.
        own = sections.get(topic.id, "") + " " + key_points
        for piece in topic.summary.split("..."):
            if piece.strip() and fact_sheet_form(piece) not in own:
                problems.append(
                    f"{path.name}: topic {topic.id}: summary words not in this topic's answer "
                    f"or the key points: {piece.strip()[:60]!r}"
                )
        if not is_gsm7(topic.summary):
            problems.append(f"{path.name}: topic {topic.id}: summary has characters outside GSM-7.")
    return problems


def _check_listening(language: LanguageContent, source: str, path: Path) -> list[str]:
    """Each adaptation for listeners: its original is the answer's own sentence (in English,
    the fact sheet's), and what is said instead keeps every medical term it names."""
    problems = []
    for adaptation in language.listening:
        where = f"{path.name}: listening {adaptation.topic_id} part {adaptation.part}"
        topic = next((t for t in language.topics if t.id == adaptation.topic_id), None)
        if topic is None or adaptation.part > len(topic.parts):
            problems.append(f"{where}: no such topic or part.")
            continue
        if adaptation.original not in topic.parts[adaptation.part - 1]:
            problems.append(f"{where}: 'original' is not in that part word for word.")
        if language.code == "en" and fact_sheet_form(adaptation.original) not in source:
            problems.append(f"{where}: 'original' is not in the fact sheet word for word.")
        for term in adaptation.terms:
            for text, name in ((adaptation.original, "original"), (adaptation.spoken, "spoken")):
                if f" {fold(term)} " not in f" {fold(text)} ":
                    problems.append(f"{where}: the medical term {term!r} is not in {name!r}.")
    return problems


def _sections(english: LanguageContent, source: str) -> dict[str, str]:
    """Each topic's stretch of the fact sheet: from its question to the next one."""
    starts = [(source.find(fact_sheet_form(t.title)), t.id) for t in english.topics]
    end = source.find("Selected References")
    bounds = [start for start, _ in starts[1:]] + [end if end > 0 else len(source)]
    return {
        topic_id: source[start:stop]
        for (start, topic_id), stop in zip(starts, bounds, strict=True)
        if start >= 0
    }


def _check_summaries(language: LanguageContent, path: Path) -> list[str]:
    limit = SUMMARY_LIMITS[language.code]
    return [
        f"{path.name}: topic {topic.id}: summary is {len(topic.summary)} characters; "
        f"the limit is {limit}."
        for topic in language.topics
        if len(topic.summary) > limit
    ]
