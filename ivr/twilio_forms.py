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
