"""The forms Twilio posts to the line for an incoming text or call, for tools that play Twilio.

scripts/load_traffic.py and the tests build their webhooks from these, so that what they send
is what Twilio sends, field for field.
"""

from __future__ import annotations

API_VERSION = "2010-04-01"


def sms_form(
    number: str, body: str, message_sid: str, *, to: str, account_sid: str
) -> dict[str, str]:
    """The fields Twilio sends with a text message from number to the line's number, to."""
    return {
        "ToCountry": "US",
        "ToState": "MD",
        "SmsMessageSid": message_sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": message_sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "US",
        "To": to,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": message_sid,
        "AccountSid": account_sid,
        "From": number,
        "ApiVersion": API_VERSION,
    }


def whatsapp_form(
    number: str,
    body: str,
    message_sid: str,
    *,
    to: str,
    account_sid: str,
    media: tuple[tuple[str, str], ...] = (),
    location: tuple[str, str] | None = None,
) -> dict[str, str]:
    """The fields Twilio sends with a WhatsApp message from number (E.164, without the
    whatsapp: prefix) to the line's WhatsApp sender, to: media as (content type, URL) pairs,
    a shared location as (latitude, longitude), both as Twilio writes them."""
    kind = "location" if location else media[0][0].split("/")[0] if media else "text"
    form = {
        "SmsMessageSid": message_sid,
        "NumMedia": str(len(media)),
        "ProfileName": "",
        "MessageType": kind,
        "SmsSid": message_sid,
        "WaId": number.removeprefix("+"),
        "SmsStatus": "received",
        "Body": body,
        "To": f"whatsapp:{to}",
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": message_sid,
        "AccountSid": account_sid,
        "From": f"whatsapp:{number}",
        "ApiVersion": API_VERSION,
    }
    for index, (content_type, url) in enumerate(media):
        form[f"MediaContentType{index}"] = content_type
        form[f"MediaUrl{index}"] = url
    if location:
        form["Latitude"], form["Longitude"] = location
    return form


def call_form(number: str, call_sid: str, *, to: str, account_sid: str) -> dict[str, str]:
    """The fields Twilio sends with every webhook of a call from number to the line's number."""
    return {
        "AccountSid": account_sid,
        "ApiVersion": API_VERSION,
        "CallSid": call_sid,
        "CallStatus": "in-progress",
        "Called": to,
        "CalledCountry": "US",
        "CalledState": "MD",
        "Caller": number,
        "CallerCountry": "US",
        "CallerState": "",
        "Direction": "inbound",
        "From": number,
        "FromCountry": "US",
        "FromState": "",
        "To": to,
        "ToCountry": "US",
        "ToState": "MD",
    }
