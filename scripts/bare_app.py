"""A bare Flask app, one endpoint returning constant TwiML: the yardstick scripts/load uses.

It runs under the same gunicorn settings as the line (ivr/gunicorn_conf.py), so the ratio of
the two throughputs is the cost of the line itself: signatures, the call flow, SMS matching,
the database and TwiML building.
"""

from __future__ import annotations

from flask import Flask, Response

PATH = "/twiml"
# About the shape of one step of a call: a Gather around two recordings, then a Redirect.
TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/twiml?lang=en&amp;at=menu"'
    ' method="POST" input="dtmf speech" numDigits="1" finishOnKey="" timeout="8"'
    ' speechTimeout="auto" language="en-US"><Play>http://127.0.0.1/audio/en/menu-0123456789ab.mp3'
    "</Play><Play>http://127.0.0.1/audio/en/keys-0123456789ab.mp3</Play></Gather>"
    '<Redirect method="POST">/twiml?lang=en&amp;at=menu&amp;timeout=1</Redirect></Response>'
)


def create_app() -> Flask:
    """The bare app: POST /twiml answers the same TwiML every time, reading nothing."""
    app = Flask(__name__)

    @app.post(PATH)
    def twiml() -> Response:
        return Response(TWIML, mimetype="text/xml")

    return app
