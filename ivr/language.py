"""Which language a short text message is written in: English, Spanish, or not clearly either.

Pure: a LanguageGuesser is built once at start-up; guess then reads one message in tens of
microseconds. Each word votes for the one language it belongs to: the common words of texting
listed here, then every word the content writes in one language only, then, for a word typed
with a slip, the known word it is closest to. A word both languages use ("cancer", "melanoma",
"no", "ok"), a number or an emoji votes for neither. Only when the votes tie and the message
holds a word nobody listed ("exhausted", "agobiada") is lingua's statistical model asked, and
its answer is taken only when it is confident.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lingua import Language, LanguageDetector, LanguageDetectorBuilder
from rapidfuzz import fuzz, process

from ivr.content import Content, LanguageContent, fold

# Words people text, in the folded form (no accents, lowercase, apostrophes dropped: "don't"
# is "dont"). Only words one language uses: "no", "me", "a" and "son" are in neither.
ENGLISH_WORDS = frozenset(
    """
    the an and or but if of to in on at for with from by about into out up down over off
    after before than then there here this that these those it its is are am was were be been
    being do does did done dont doesnt didnt cant cannot wont isnt arent wasnt werent couldnt
    wouldnt shouldnt havent hasnt have had having will would can could should shall might must
    i im ive id ill my mine you your youre youve yours u ur r she his her him hers we our us
    they theyre them their what whats wat wht why who whom how hows which when where wheres
    whose thats theres heres lets also because even like well way first other look see use
    new one two three
    omg idk btw wtf smh tbh wanna gonna gotta lemme dunno kinda cuz coz thankyou goodnight
    yes yeah yep yup please pls plz thanks thank thx ty hi hello hey bye goodbye good morning
    afternoon evening night god bless
    help need needs want wants know knew think feel feeling get gets got go goes going gone
    come came tell told say said ask talk call speak text send let make take give find found
    just only still so very really much many more most some any all anything someone anyone
    somebody anybody nobody everyone something nothing now today tomorrow tonight again always
    never ever long time times left live living lives life die dies dying died dead death
    survive surviving survival cure cures cured treat treated treatable chance chances
    scared afraid terrified fear worried alone sad cry crying tired hurt hurts hurting pain sick
    mom mother mum dad father husband wife daughter sister brother kids children family friend
    stage month months year years week weeks day days end happens happen mean means meaning
    true truth person people work pay english spanish
    nearest near clinic appointment insurance cost costs money ride weather joke cat
    dog sure safe back later home house car phone number
    """.split()
)
SPANISH_WORDS = frozenset(
    """
    el la los las un una unos unas lo de del al y o pero sino que q ke por para con sin
    sobre entre hasta desde durante contra ante en es soy eres somos esta estas estan estoy
    estamos este esto estos esa ese eso ser estar fue fui era eran sido tengo tiene tienes
    tienen tenemos hay habia han mi mis mio mia tu tus ti su sus yo usted ustedes ella ellos
    ellas nosotros nosotras nos le les te se ni otros otras
    como cuando donde adonde porque xq pq cual cuales quien quienes cuanto cuanta cuantos
    cuantas si
    gracias hola buenos buenas dias tardes noches adios porfavor porfa xfa favor dios bendiga
    bueno bien mal muy mucho mucha muchos muchas poco mas menos ya todavia tambien nada algo
    alguien nadie todo todos siempre nunca hoy manana ahora aqui ahi alla otra otro vez
    ayuda ayudame ayudenme ayudeme necesito necesita quiero quiere puedo puedes puede pueden
    podria seria sabe saber hago hacer hace hecho dijo dice dicen digame dime diga decir
    llamar llamenme hablar mandar sirve sirven voy va vas vamos van oiga oye mire mira
    vivir vida vive muero morir muriendo muerte sobrevivir cura curar curan tratar
    miedo asustado asustada sola solo triste llorar llorando cansado cansada duele dolor
    enfermo enferma mama papa madre padre esposo esposa hija hijo hijos hermana hermano familia
    amigo amiga etapa estadio mes meses ano anos semana semanas dia tiempo queda quedan pasa
    pasar significa verdad persona gente trabajo trabajar pagar regreso volvio extiende
    extendio toy jaja jajaja ingles espanol pues ntp tqm tmb dnd grax
    seguro medico medica cita cerca cercano cercana clinica costo cuesta dinero tarde
    llamarme llamen casa carro telefono numero perro gato chiste calor frio
    """.split()
)
# Words both languages write alike, or that mean nothing to tell them apart; they never vote,
# whatever the content writes: a texter of either language sends them as they are.
SHARED_WORDS = frozenset(
    """
    no ok okay k x a me he ha son real curable info sos lol menu cancer cancers colon melanoma
    melanomas metastasis tumor tumores doctor dr hospital pancreas renal normal final total
    radio general
    """.split()
)
# Ordinary words of either language: never taken for a typo of a keyword ("live", "vivir").
ORDINARY_WORDS = ENGLISH_WORDS | SPANISH_WORDS | SHARED_WORDS
# A word the content writes in both languages votes only if one writes it this many times
# more often than the other ("metastatic" appears once in the Spanish file, in a title).
CONTENT_RATIO = 5
# A word typed with a slip ("symtoms", "tratamieto") votes as the known word it is closest
# to, if this close (rapidfuzz's ratio) and at least this long; shorter words are taken as
# written. Looked for only when the words known as written leave a tie.
FUZZY_THRESHOLD = 85
FUZZY_MIN_LETTERS = 5
# lingua is asked only about a message with a word of this many letters that nobody listed:
# "hmm", "CT" or "xD" is no word of either language.
UNLISTED_MIN_LETTERS = 4
# lingua's confidence (0 to 1, the two languages summing to 1) its answer needs. Below it,
# it says English for "nauseas" (0.64) and Spanish for "Maria" (0.76); above it, it is right
# about "frightened" (0.96) and "agotada" (0.998). A wrong language is worse than none.
LINGUA_CONFIDENCE = 0.8
# Only the start of a message is read: a message says what it is in its first sentence.
MAX_WORDS = 30
MAX_CHARACTERS = 300
# Characters only Spanish writes: each counts as one more Spanish word.
_SPANISH_MARKS = re.compile("[ñáéíóúü¿¡]", re.IGNORECASE)
# A letter typed three times or more is read once: "ayudaaa", "helppp", "plzzz".
_REPEATS = re.compile(r"(\w)\1{2,}")
# An apostrophe joins the word it is in ("don't" is "dont"), as texters often write it anyway.
_APOSTROPHES = re.compile("['’‘`´]")
_PLACEHOLDER = re.compile(r"\{\w+\}")
_CODES = {Language.ENGLISH: "en", Language.SPANISH: "es"}


@dataclass(frozen=True)
class Votes:
    """How many words of a message are English, how many Spanish, and the words nobody listed."""

    en: int = 0
    es: int = 0
    unlisted: tuple[str, ...] = ()


class LanguageGuesser:
    """Tells English from Spanish in a short message, or says it cannot."""

    def __init__(self, words: Mapping[str, str], detector: LanguageDetector) -> None:
        self.words = dict(words)
        self.detector = detector
        # Known words by first letter: a slip is looked for among words that start alike, which
        # keeps the search to a tenth of the vocabulary. A typed word one letter longer than a
        # known one is a slip too ("helpp", "sintomass").
        self._typo_choices: dict[str, list[str]] = {}
        for word in self.words:
            if len(word) >= FUZZY_MIN_LETTERS - 1:
                self._typo_choices.setdefault(word[0], []).append(word)

    @classmethod
    def build(cls, content: Content) -> LanguageGuesser:
        """The words listed here and the content's own, and lingua's English and Spanish models."""
        detector = LanguageDetectorBuilder.from_languages(*_CODES).build()
        return cls(vocabulary(content), detector)

    def warm_up(self) -> None:
        """Load lingua's models now (about 0.8 s, once a process) rather than in a request."""
        self.detector.compute_language_confidence_values("metastatic cancer")

    def guess(self, text: str) -> str | None:
        """The language text is clearly written in, "en" or "es", else None."""
        text = text[:MAX_CHARACTERS]
        votes = self.votes(text)
        if votes.en != votes.es:
            return "en" if votes.en > votes.es else "es"
        if not any(len(word) >= UNLISTED_MIN_LETTERS for word in votes.unlisted):
            return None
        best = self.detector.compute_language_confidence_values(text)[0]
        return _CODES[best.language] if best.value >= LINGUA_CONFIDENCE else None

    def votes(self, text: str) -> Votes:
        """Each word of text counted for the language it belongs to; typos only to break a tie."""
        tally = Counter(es=len(_SPANISH_MARKS.findall(text)))
        unlisted: list[str] = []
        for word in _words(text):
            code = self.words.get(word)
            if code:
                tally[code] += 1
            elif word not in SHARED_WORDS and not word.isdigit():
                unlisted.append(word)
        if tally["en"] == tally["es"]:
            for word in list(unlisted):
                code = self._typo_of(word)
                if code:
                    tally[code] += 1
                    unlisted.remove(word)
        return Votes(tally["en"], tally["es"], tuple(unlisted))

    def _typo_of(self, word: str) -> str | None:
        """The language of the known word closest to a typed one, if it is close enough."""
        if len(word) < FUZZY_MIN_LETTERS:
            return None
        choices = self._typo_choices.get(word[0], [])
        found = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD)
        return self.words[found[0]] if found else None


def vocabulary(content: Content) -> dict[str, str]:
    """Folded word -> "en" or "es": the content's words of one language, then the lists here."""
    counts = {code: Counter(_content_words(content[code])) for code in ("en", "es")}
    words: dict[str, str] = {}
    for code, other in (("en", "es"), ("es", "en")):
        for word, count in counts[code].items():
            if count >= CONTENT_RATIO * counts[other][word] and not word.isdigit():
                words[word] = code
    words.update(dict.fromkeys(ENGLISH_WORDS, "en"))
    words.update(dict.fromkeys(SPANISH_WORDS, "es"))
    for word in SHARED_WORDS:
        words.pop(word, None)
    return words


def _words(text: str) -> list[str]:
    """The first words of text, folded, apostrophes joined, long runs of a letter cut to one."""
    return fold(_REPEATS.sub(r"\1", _APOSTROPHES.sub("", text))).split()[:MAX_WORDS]


def _content_words(language: LanguageContent) -> Iterable[str]:
    """Every folded word the content writes in one language, placeholders left out."""
    texts: list[str] = [language.credit, *language.numbers.values(), *language.key_points]
    for topic in language.topics:
        texts += [topic.title, topic.label, topic.summary, *topic.keywords, *topic.speech_hints]
        texts += topic.parts
    for cancer in language.cancers:
        texts += [cancer.name, *cancer.synonyms]
    texts += language.site_names.values()
    texts += language.prompts.values()
    for words in (*language.speech.values(), *language.commands.values()):
        texts += words
    for text in texts:
        yield from fold(_PLACEHOLDER.sub(" ", text)).split()
