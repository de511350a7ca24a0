"""The line's words: the fact sheet's answers, the sites table and every prompt, in two languages.

`model` holds them as frozen dataclasses, `loader` reads them from one YAML file per language,
and `checks` validates the files as a whole. The rest of the line imports from here.
"""

from ivr.content.checks import CANCER_COUNT, SUMMARY_LIMITS, TOPIC_COUNT, fact_sheet_form
from ivr.content.loader import CONTENT_DIR, FACT_SHEET, load_content
from ivr.content.model import (
    CONCERNS,
    LANGUAGES,
    SITES_TOPIC,
    TEXTED_ONLY,
    Adaptation,
    Cancer,
    Content,
    ContentError,
    LanguageContent,
    Spoken,
    Topic,
    fold,
)

__all__ = [
    "Adaptation",
    "CONCERNS",
    "CANCER_COUNT",
    "CONTENT_DIR",
    "FACT_SHEET",
    "LANGUAGES",
    "SITES_TOPIC",
    "SUMMARY_LIMITS",
    "TEXTED_ONLY",
    "TOPIC_COUNT",
    "Cancer",
    "Content",
    "ContentError",
    "LanguageContent",
    "Spoken",
    "Topic",
    "fact_sheet_form",
    "fold",
    "load_content",
]
