"""The texts the line sends: menu, summaries, answers in parts, sites, each within budget.

Pure: every fixed reply is built once from the content at start-up; a request only picks one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

from ivr.content import SITES_TOPIC, Cancer, Content, LanguageContent, Topic
from ivr.segments import Segments, segments
from ivr.sms.keywords import MediaKind, TextVocabulary

# The most segments a reply may take: English stays in GSM-7 (153 characters a part); Spanish
# accents make a message UCS-2 (67 a part), so it gets one more.
SEGMENT_BUDGET = {"en": 2, "es": 3}
# The notices a texter over the limit gets, by the longest window each speaks of.
LIMIT_WINDOWS = MappingProxyType({"minute": 60, "hour": 3600, "day": 86400})
# The name reply_sizes gives each "Did you mean" reply, before the word it offers.
DID_YOU_MEAN = "did you mean"


class _Break(NamedTuple):
    """A place a long answer may be cut, and whether only outside parentheses."""

    at: re.Pattern[str]
    outside_parentheses: bool


# Where a long answer may be cut, gentlest first: after a sentence, then (for a sentence too
# long for a page) after a clause, then at any space; never inside a parenthesis, unless a
# parenthesis alone is too long for a page.
_BREAKS = (
    _Break(re.compile(r"(?<=[.!?])\s+"), outside_parentheses=True),
    _Break(re.compile(r"(?<=[,;:])\s+"), outside_parentheses=True),
    _Break(re.compile(r"\s+"), outside_parentheses=True),
    _Break(re.compile(r"\s+"), outside_parentheses=False),
)
# The widest page number a footer is measured with before pages are counted.
_WIDEST_PAGE = "99"


def within_budget(text: str, code: str) -> bool:
    """True when text fits its language's segment budget (and English stays in GSM-7)."""
    size = segments(text)
    return size.count <= SEGMENT_BUDGET[code] and (code != "en" or size.encoding == "GSM-7")


def summary_reply(language: LanguageContent, topic: Topic) -> str:
    """A topic's summary with its closing line: what a texter, or "text me this", receives."""
    closing = "sms_summary_sites" if topic.id == SITES_TOPIC else "sms_summary_more"
    return f"{topic.summary}\n{language.prompt(closing)}"


def menu_reply(language: LanguageContent, opening: str, with_end: bool = True) -> str:
    """An opening line, one numbered line per topic and, when it fits, the closing line."""
    lines = [opening]
    lines += [f"{t.number} {language.prompt(f'sms_topic_{t.id}')}" for t in language.topics]
    if with_end:
        lines.append(language.prompt("sms_menu_end"))
    return "\n".join(lines)


def _not_understood(language: LanguageContent, opening: str) -> str:
    """The menu after a message not understood, ending with the ways to help and language."""
    end = language.prompt("sms_not_understood_end")
    return f"{menu_reply(language, opening, with_end=False)}\n{end}"


def sites_list_reply(language: LanguageContent) -> str:
    """The cancer types of the sites table, as a texter would send them."""
    types = ", ".join(cancer.synonyms[0].upper() for cancer in language.cancers)
    return language.prompt("sms_sites_list", types=types)


def sites_reply(language: LanguageContent, cancer: Cancer) -> str:
    """A cancer type's three most common sites of metastasis, and how to ask for another."""
    return f"{language.sites_sentence(cancer)}\n{language.prompt('sms_sites_more')}"


def answer_pages(language: LanguageContent, topic: Topic) -> tuple[str, ...]:
    """A topic's full answer cut into replies that fit, each ending "(n/N) Reply MORE ..."."""
    paragraphs = list(topic.parts)
    if topic.id == SITES_TOPIC:
        # The answer ends "for several types of cancer:"; the table follows as a list to pick.
        paragraphs.append(sites_list_reply(language))
    middle, last = (_fits_with(language, footer) for footer in ("sms_page", "sms_page_last"))

    def either(body: str) -> bool:
        return middle(body) and last(body)

    pieces = [
        (" " if index else "\n", piece)
        for paragraph in paragraphs
        for index, piece in enumerate(_pieces(paragraph, either))
    ]
    pages = _pack(pieces, middle)
    # The last page carries the longer closing line: move its first pieces back a page if need be.
    if not last(_render(pages[-1])):
        tail = pages.pop()
        cut = next(n for n in range(1, len(tail)) if last(_render(tail[n:])))
        pages += [tail[:cut], tail[cut:]]
    return tuple(
        _render(page)
        + "\n"
        + language.prompt(
            "sms_page_last" if number == len(pages) else "sms_page",
            page=str(number),
            pages=str(len(pages)),
        )
        for number, page in enumerate(pages, 1)
    )


_Piece = tuple[str, str]  # (what joins it to the piece before: a space or a new line, text)


def _fits_with(language: LanguageContent, footer_id: str) -> Callable[[str], bool]:
    """Whether a page body fits its budget followed by a footer with the widest page numbers."""
    footer = language.prompt(footer_id, page=_WIDEST_PAGE, pages=_WIDEST_PAGE)
    return lambda body: within_budget(f"{body}\n{footer}", language.code)


def _render(page: list[_Piece]) -> str:
    return page[0][1] + "".join(joiner + text for joiner, text in page[1:])


def _pack(pieces: list[_Piece], fits: Callable[[str], bool]) -> list[list[_Piece]]:
    """Fill each page with as many pieces as fit, in order."""
    pages: list[list[_Piece]] = [[]]
    for piece in pieces:
        if pages[-1] and not fits(_render([*pages[-1], piece])):
            pages.append([])
        pages[-1].append(piece)
    return pages


def cut_text(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Text whole when it fits, else cut into sentences (and a sentence too long, at clauses)."""
    return [text] if fits(text) else _pieces(text, fits)


def _pieces(text: str, fits: Callable[[str], bool], level: int = 0) -> list[str]:
    """Text cut into sentences, and any sentence too long for a page at clauses, then words."""
    if level == len(_BREAKS) or (level > 0 and fits(text)):
        return [text]
    pieces: list[str] = []
    for piece in _split(text, _BREAKS[level]):
        pieces += _pieces(piece, fits, level + 1)
    return pieces


def _split(text: str, cut: _Break) -> list[str]:
    """Text cut at each of a break's places, those inside parentheses left out if it says so."""
    depth, depths = 0, []
    for character in text:
        depth = max(0, depth + (character == "(") - (character == ")"))
        depths.append(depth)
    pieces, start = [], 0
    for match in cut.at.finditer(text):
        if not cut.outside_parentheses or depths[match.start()] == 0:
            pieces.append(text[start : match.start()])
            start = match.end()
    return [*pieces, text[start:]]


@dataclass(frozen=True)
class Replies:
    """Every reply in one language, built once at start-up."""

    language: LanguageContent
    menu: str
    help: str
    opted_out: str
    opted_in: str
    distress: str  # the crisis numbers, first of all
    personal: str  # what the line can't answer, who can, and where the fact sheet speaks
    no_text: str
    not_understood: str
    not_understood_again: str  # a second in a row: the Cancer Information Service
    limit_notices: Mapping[str, str]  # "minute", "hour", "day": when to try again
    cis_number: str  # texted to a caller whose transfer failed
    more_nothing: str
    more_done: str
    sites_list: str
    summaries: Mapping[str, str]
    pages: Mapping[str, tuple[str, ...]]
    sites: Mapping[str, str]
    slow: str  # SLOW alone, with an answer to say again slowly
    slow_nothing: str  # SLOW alone, with no answer to say again
    media: Mapping[MediaKind, str]  # a voice note, picture or location: what the line reads

    @classmethod
    def build(cls, language: LanguageContent) -> Replies:
        """Build every fixed reply of a language."""
        prompt = language.prompt
        return cls(
            language=language,
            menu=menu_reply(language, prompt("sms_menu")),
            help=prompt("sms_help"),
            opted_out=prompt("sms_opted_out"),
            opted_in=prompt("sms_opted_in"),
            distress=prompt("sms_distress"),
            personal=prompt("sms_personal"),
            no_text=menu_reply(language, prompt("sms_no_text"), with_end=False),
            not_understood=_not_understood(language, prompt("sms_not_understood")),
            not_understood_again=prompt("sms_not_understood_again"),
            cis_number=prompt("sms_cis_number"),
            limit_notices=MappingProxyType(
                {window: prompt(f"sms_limit_{window}") for window in LIMIT_WINDOWS}
            ),
            more_nothing=prompt("sms_more_nothing"),
            more_done=prompt("sms_more_done"),
            sites_list=sites_list_reply(language),
            summaries=MappingProxyType({t.id: summary_reply(language, t) for t in language.topics}),
            pages=MappingProxyType({t.id: answer_pages(language, t) for t in language.topics}),
            sites=MappingProxyType({c.id: sites_reply(language, c) for c in language.cancers}),
            # A text has no sound: the slower recordings are on the phone line (and WhatsApp).
            slow=prompt("sms_slow_by_phone"),
            slow_nothing=prompt("sms_slow_by_phone"),
            media=MappingProxyType({kind: prompt(f"sms_media_{kind.value}") for kind in MediaKind}),
        )

    def limit_notice(self, window_seconds: int) -> str:
        """When a texter over the limit may text again, for a limit of this window."""
        for window, seconds in LIMIT_WINDOWS.items():
            if window_seconds <= seconds:
                return self.limit_notices[window]
        return self.limit_notices["day"]

    def did_you_mean(self, word: str) -> str:
        """The menu, opening with a guess at what the texter meant."""
        return _not_understood(self.language, self.language.prompt("sms_did_you_mean", word=word))


def build_replies(content: Content) -> Mapping[str, Replies]:
    """The replies of every language, by language code."""
    return MappingProxyType({code: Replies.build(lang) for code, lang in content.languages.items()})


@dataclass(frozen=True)
class ReplySize:
    """One reply the line can send, with its size and whether it is within budget."""

    language: str
    name: str
    text: str
    size: Segments
    ok: bool
    part: str | None = None  # the topic, for a part of a full answer


def reply_sizes(content: Content) -> list[ReplySize]:
    """Every fixed reply and summary in every language, with its size: for `ivr check`."""
    vocabulary = TextVocabulary.from_content(content)
    sizes = []
    for code, replies in build_replies(content).items():
        named: list[tuple[str, str]] = [
            ("menu", replies.menu),
            ("help", replies.help),
            ("opted out", replies.opted_out),
            ("opted in", replies.opted_in),
            ("distress", replies.distress),
            ("personal question", replies.personal),
            ("no text", replies.no_text),
            ("not understood", replies.not_understood),
            ("not understood twice", replies.not_understood_again),
            ("the Cancer Information Service's number", replies.cis_number),
            *((f"over the limit, {w}", text) for w, text in replies.limit_notices.items()),
            ("more, nothing to continue", replies.more_nothing),
            ("more, answer done", replies.more_done),
            ("sites list", replies.sites_list),
            ("slow", replies.slow),
            *((f"media, {kind.value}", text) for kind, text in replies.media.items()),
        ]
        named += [(f"summary {topic}", text) for topic, text in replies.summaries.items()]
        named += [(f"sites {cancer}", text) for cancer, text in replies.sites.items()]
        named += [
            (f"{DID_YOU_MEAN} {word}", replies.did_you_mean(word))
            for word in vocabulary.hint_words(code)
        ]
        sizes += [_size(code, name, text) for name, text in named]
        for topic, pages in replies.pages.items():
            sizes += [
                _size(code, f"{topic} part {n}/{len(pages)}", text, part=topic)
                for n, text in enumerate(pages, 1)
            ]
    return sizes


def _size(code: str, name: str, text: str, part: str | None = None) -> ReplySize:
    return ReplySize(code, name, text, segments(text), within_budget(text, code), part)
