"""WhatsApp through POST /sms, with the forms Twilio sends (signed): answers whole with their
recordings, SLOW, media in, the number shared with SMS and calls, and bad input."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ivr import create_app
from ivr.config import AUDIO_DIR
from ivr.content import load_content
from ivr.sms.keywords import MediaKind
from ivr.sms.replies import build_replies
from ivr.sms.whatsapp import MAX_REPLIES, MESSAGE_LIMIT, split_messages
from ivr.twilio_forms import sms_form, whatsapp_form

from .conftest import counted, signed_post

CONTENT = load_content()
REPLIES = build_replies(CONTENT)
NUMBER = "+15551230042"
LINE = "+15550009999"
ACCOUNT = "AC" + "1" * 32


@dataclass(frozen=True)
class Answer:
    """What the line sent back: the text messages, then the recordings (one a message)."""

    texts: list[str]
    media: list[str]

    @property
    def text(self) -> str:
        return "\n\n".join(self.texts)


class Chat:
    """A WhatsApp (or SMS) user of the same phone number, posting Twilio's own forms."""

    def __init__(self, client: FlaskClient, number: str = NUMBER) -> None:
        self.client = client
        self.number = number
        self.sent = 0

    def _sid(self) -> str:
        self.sent += 1
        return f"SM{self.number[-4:]}{self.sent:028d}"

    def whatsapp(self, body: str, sid: str | None = None, **extra: Any) -> Answer:
        form = whatsapp_form(
            self.number, body, sid or self._sid(), to=LINE, account_sid=ACCOUNT, **extra
        )
        return self.post(form)

    def sms(self, body: str, **fields: str) -> Answer:
        form = sms_form(self.number, body, self._sid(), to=LINE, account_sid=ACCOUNT) | fields
        return self.post(form)

    def post(self, form: dict[str, str]) -> Answer:
        response = signed_post(self.client, "/sms", form)
        assert response.status_code == 200
        assert response.mimetype == "text/xml"
        root = ElementTree.fromstring(response.data)
        texts, media = [], []
        for message in root.findall("./Message"):
            urls = [node.text or "" for node in message.findall("./Media")]
            body = "".join(message.itertext()) if not urls else (message.text or "").strip()
            if urls:
                assert len(urls) == 1 and not body  # one recording a message, no caption
                media += urls
            else:
                texts.append(body)
        # Every text before the first recording: the answer reads first, then plays.
        kinds = ["media" if m.find("./Media") is not None else "text" for m in root]
        assert kinds == sorted(kinds, key=lambda kind: kind == "media")
        assert len(root) <= MAX_REPLIES  # Twilio sends no more replies to one message
        return Answer(texts, media)


def recording_urls(app: Flask, code: str, topic_id: str, slow: bool = False) -> list[str]:
    catalogue = app.extensions["ivr"].catalogue
    parts = len(CONTENT[code].topic(topic_id).parts)
    urls = [catalogue.url(f"topic.{topic_id}.{n}", code, slow) for n in range(1, parts + 1)]
    assert all(urls)
    return urls


@pytest.fixture
def recorded_app(config: dict[str, Any]) -> Iterator[Flask]:
    """The line with the committed recordings, and room for a long conversation."""
    app = create_app(config | {"AUDIO_DIR": str(AUDIO_DIR), "SMS_RATE_LIMIT": "100/minute"})
    app.testing = True
    yield app
    app.extensions["ivr"].store.engine.dispose()


@pytest.fixture
def chat(recorded_app: Flask) -> Chat:
    return Chat(recorded_app.test_client())


@pytest.mark.parametrize(("code", "body"), [("en", "SYMPTOMS"), ("es", "síntomas")])
def test_an_answer_comes_whole_with_its_recordings(
    recorded_app: Flask, chat: Chat, code: str, body: str
) -> None:
    topic = CONTENT[code].topic("symptoms")
    answer = chat.whatsapp(body)
    assert answer.texts[0].startswith(topic.title)
    for part in topic.parts:
        assert part in answer.text
    assert answer.texts[-1].endswith(CONTENT[code].prompt("sms_wa_answer_end"))
    assert answer.media == recording_urls(recorded_app, code, "symptoms")


@pytest.mark.parametrize("code", ["en", "es"])
def test_the_longest_answer_takes_few_messages_each_within_whatsapp_limit(
    recorded_app: Flask, chat: Chat, code: str
) -> None:
    topic = CONTENT[code].topic("how-spread")
    if code == "es":
        chat.whatsapp("ESPAÑOL")
    answer = chat.whatsapp(str(topic.number))
    assert all(len(text) <= MESSAGE_LIMIT for text in answer.texts)
    whole = sum(len(part) for part in topic.parts)
    assert len(answer.texts) == -(-whole // MESSAGE_LIMIT)  # as few as the limit allows
    for part in topic.parts:
        assert part in answer.text  # a paragraph is never cut when it fits a message
    # Two texts and nine recordings are more than one reply may hold: MORE sends the rest.
    assert answer.texts[-1].endswith(CONTENT[code].prompt("sms_wa_answer_end_more"))
    assert len(answer.texts) + len(answer.media) == MAX_REPLIES
    more, slower = ("MORE", "SLOW") if code == "en" else ("MÁS", "LENTO")
    rest = chat.whatsapp(more)
    assert rest.texts == [CONTENT[code].prompt("sms_wa_more_recordings")]
    assert answer.media + rest.media == recording_urls(recorded_app, code, "how-spread")
    assert chat.whatsapp(more).texts == [REPLIES[code].more_done]
    # SLOW: one line, then every slower recording, within one reply.
    slow = chat.whatsapp(slower)
    assert slow.media == recording_urls(recorded_app, code, "how-spread", slow=True)


def test_slow_asks_for_the_slower_recordings(recorded_app: Flask, chat: Chat) -> None:
    assert chat.whatsapp("SLOW").texts == [CONTENT["en"].prompt("sms_wa_slow_nothing")]
    chat.whatsapp("5")
    slow = chat.whatsapp("slow")
    assert slow.texts == [CONTENT["en"].prompt("sms_wa_slow")]
    assert slow.media == recording_urls(recorded_app, "en", "symptoms", slow=True)
    # With a topic, in either order and either language.
    assert chat.whatsapp("5 SLOW").media == recording_urls(recorded_app, "en", "symptoms", True)
    lento = chat.whatsapp("LENTO 8")
    assert lento.media == recording_urls(recorded_app, "es", "treatment", slow=True)
    assert CONTENT["es"].topic("treatment").parts[0] in lento.text
    sites = chat.whatsapp("SITES BREAST SLOW")
    catalogue = recorded_app.extensions["ivr"].catalogue
    assert sites.media == [catalogue.url("sites.breast", "en", True)]


def test_more_after_a_whole_answer_says_it_was_all(chat: Chat) -> None:
    chat.whatsapp("1")
    assert chat.whatsapp("MORE").texts == [REPLIES["en"].more_done]


def test_without_recordings_answers_are_text_and_say_nothing_of_audio(client: FlaskClient) -> None:
    chat = Chat(client)
    answer = chat.whatsapp("5")
    assert answer.media == []
    assert answer.texts[-1].endswith(CONTENT["en"].prompt("sms_wa_answer_end_text"))
    assert chat.whatsapp("SLOW") == Answer([CONTENT["en"].prompt("sms_wa_slow_none")], [])


def test_a_language_chosen_by_sms_or_by_phone_carries_over(recorded_app: Flask, chat: Chat) -> None:
    chat.sms("ESPANOL")
    assert chat.whatsapp("5").texts[0].startswith(CONTENT["es"].topic("symptoms").title)
    caller = Chat(recorded_app.test_client(), "+15551230043")
    recorded_app.extensions["ivr"].store.set_language(caller.number, "es")  # as a call does
    assert caller.whatsapp("MENU").texts == [REPLIES["es"].menu]


def test_an_opt_out_on_either_channel_holds_on_both(recorded_app: Flask, chat: Chat) -> None:
    # Twilio confirms STOP by SMS itself, not on WhatsApp: there the line confirms it.
    assert chat.whatsapp("STOP").texts == [REPLIES["en"].opted_out]
    assert recorded_app.extensions["ivr"].store.is_opted_out(NUMBER)
    assert chat.sms("MENU") == Answer([], [])
    assert chat.whatsapp("5") == Answer([], [])
    assert chat.whatsapp("", media=(("audio/ogg", "https://api.twilio.com/v"),)) == Answer([], [])
    assert chat.whatsapp("START").texts == [REPLIES["en"].opted_in]
    assert chat.sms("MENU").texts == [REPLIES["en"].menu]
    assert chat.sms("STOP") == Answer([], [])  # Twilio confirms this one
    assert chat.whatsapp("MENU") == Answer([], [])


def test_sms_and_whatsapp_share_one_rate_limit(config: dict[str, Any]) -> None:
    app = create_app(config | {"SMS_RATE_LIMIT": "3/minute"})
    chat = Chat(app.test_client())
    assert chat.sms("MENU").texts and chat.whatsapp("MENU").texts and chat.sms("HELP").texts
    assert chat.whatsapp("MENU").texts == [REPLIES["en"].limit_notice(60)]
    assert chat.whatsapp("MENU") == Answer([], [])
    app.extensions["ivr"].store.engine.dispose()


VOICE_NOTE = {"media": (("audio/ogg", "https://api.twilio.com/2010-04-01/Accounts/m/Media/1"),)}
PICTURE = {"media": (("image/jpeg", "https://api.twilio.com/2010-04-01/Accounts/m/Media/2"),)}
DOCUMENT = {"media": (("application/pdf", "https://api.twilio.com/2010-04-01/Media/3"),)}
UNKNOWN = {"media": (("x-whatever", "https://api.twilio.com/2010-04-01/Media/4"),)}
PLACE = {"location": ("38.9955", "-77.0974")}


@pytest.mark.parametrize(
    ("extra", "kind"),
    [
        (VOICE_NOTE, "voice"),
        (PICTURE, "image"),
        (PLACE, "location"),
        (DOCUMENT, "other"),
        (UNKNOWN, "other"),
    ],
)
def test_media_without_words_gets_a_short_reply_in_the_senders_language(
    chat: Chat, extra: dict[str, Any], kind: str
) -> None:
    english, spanish = (REPLIES[code].media[MediaKind(kind)] for code in ("en", "es"))
    # Nothing says the language of a new number: both languages.
    assert chat.whatsapp("", **extra) == Answer([f"{english}\n\n{spanish}"], [])
    chat.whatsapp("ESPAÑOL")
    assert chat.whatsapp("", **extra) == Answer([spanish], [])


def test_a_caption_is_read_as_the_message(chat: Chat) -> None:
    answer = chat.whatsapp("SINTOMAS", **PICTURE)
    assert answer.texts[0].startswith(CONTENT["es"].topic("symptoms").title)


def test_a_picture_by_mms_gets_the_same_reply(chat: Chat) -> None:
    chat.sms("ENGLISH")
    form = {"NumMedia": "1", "MediaContentType0": "image/png", "MediaUrl0": "https://x/1"}
    assert chat.sms("", **form).texts == [REPLIES["en"].media[MediaKind.IMAGE]]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("😀😀", REPLIES["en"].no_text),
        ("👍🏽 ❤️", REPLIES["en"].no_text),
        ("5️⃣", None),  # a keycap five is a five
    ],
)
def test_emoji_bodies(chat: Chat, body: str, expected: str | None) -> None:
    answer = chat.whatsapp(body)
    if expected is None:
        assert answer.texts[0].startswith(CONTENT["en"].topic("symptoms").title)
    else:
        assert answer.texts == [expected]


@pytest.mark.parametrize(
    "sender", ["whatsapp:", "whatsapp:abc", "whatsapp:+0123456789", "whatsapp:15551230042"]
)
def test_a_malformed_whatsapp_sender_gets_an_empty_answer(
    recorded_app: Flask, chat: Chat, sender: str
) -> None:
    form = whatsapp_form(NUMBER, "5", "SM" + "9" * 32, to=LINE, account_sid=ACCOUNT)
    assert chat.post(form | {"From": sender}) == Answer([], [])


def test_a_retried_message_gets_the_same_answer_and_recordings(chat: Chat) -> None:
    first = chat.whatsapp("4", sid="SM" + "4" * 32)
    assert first.media
    assert chat.whatsapp("4", sid="SM" + "4" * 32) == first


def test_unsigned_whatsapp_is_refused(client: FlaskClient) -> None:
    form = whatsapp_form(NUMBER, "5", "SM1", to=LINE, account_sid=ACCOUNT)
    assert client.post("/sms", data=form).status_code == 403


def test_the_fallback_keeps_a_whatsapp_opt_out_under_the_bare_number(
    recorded_app: Flask, chat: Chat
) -> None:
    form = whatsapp_form(NUMBER, "stop", "SM" + "5" * 32, to=LINE, account_sid=ACCOUNT)
    response = signed_post(chat.client, "/sms/fallback", form)
    assert response.status_code == 200
    store = recorded_app.extensions["ivr"].store
    assert store.is_opted_out(NUMBER)
    assert [(row["channel"], row["kind"], row["count"]) for row in counted(store)] == [
        ("whatsapp", "opt-out", 1)
    ]


def test_a_paragraph_longer_than_a_message_is_cut_between_sentences() -> None:
    sentence = "A sentence of some length, said once. "
    paragraph = (sentence * 60).strip()  # about 2,300 characters
    messages = split_messages(f"Title\n\n{paragraph}\n\nClosing.")
    assert len(messages) == 2
    assert all(len(message) <= MESSAGE_LIMIT for message in messages)
    assert all(message.endswith(".") for message in messages)
    assert " ".join(messages).replace("\n\n", " ") == f"Title {paragraph} Closing."
