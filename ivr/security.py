"""Twilio webhook signatures and the keyed hash that stands in for every phone number."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from flask import abort, request
from twilio.request_validator import RequestValidator, get_signature_algorithm

SECRET_FILE = "hash-secret"
# Everything under these paths is a Twilio webhook and must carry a valid signature.
WEBHOOK_PREFIXES = ("/voice", "/sms")


class NumberHasher:
    """Turns a phone number into a keyed HMAC-SHA256 hex digest; the number itself is never kept."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def __call__(self, number: str) -> str:
        """Return the hash of a number, ignoring spaces, dashes and brackets around it."""
        canonical = "".join(ch for ch in number if ch.isdigit() or ch == "+")
        return hmac.new(self._secret, canonical.encode(), hashlib.sha256).hexdigest()

    def token(self, text: str) -> str:
        """A keyed hash of any identifier (such as a CallSid), kept apart from number hashes."""
        return hmac.new(self._secret, b"id:" + text.encode(), hashlib.sha256).hexdigest()


def load_hash_secret(configured: str, instance_dir: Path) -> bytes:
    """Return the configured secret, or the one kept under instance_dir, creating it once."""
    if configured:
        return configured.encode()
    path = instance_dir / SECRET_FILE
    instance_dir.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when several workers start at once, exactly one writes the secret.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
            handle.flush()
            os.fsync(handle.fileno())
    secret = path.read_text().strip()
    if not secret:
        raise RuntimeError(f"{path} is empty; delete it or set IVR_HASH_SECRET.")
    return secret.encode()


class SignatureCheck:
    """Refuses any webhook request whose X-Twilio-Signature does not match its URL and form."""

    def __init__(self, auth_token: str, public_url: str, trust_proxy: bool) -> None:
        self._validator = RequestValidator(auth_token)
        self._public_url = public_url
        self._trust_proxy = trust_proxy

    def url_of_current_request(self) -> str:
        """The URL Twilio signed: the public URL plus path and query, or the forwarded URL."""
        if self._trust_proxy:
            return request.url  # rebuilt from X-Forwarded-* by ProxyFix
        query = request.query_string.decode("latin-1")
        return self._public_url + request.path + (f"?{query}" if query else "")

    def is_valid(self) -> bool:
        """True when the current request carries a valid Twilio signature."""
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature:
            return False
        params = _FormFields(request.form.lists()) if request.method == "POST" else {}
        algorithm = get_signature_algorithm(
            request.headers.get("X-Twilio-Webhooks-Signature-Settings", "")
        )
        url = self.url_of_current_request()
        try:
            expected = self._validator.compute_signature(url, params, algorithm)
        except ValueError:  # an algorithm twilio does not know; validate() says so in the log
            expected = ""
        # The URL as it came is the one Twilio signs; validate() then also tries it with and
        # without the port (three HMACs), which only a refused request needs to pay for.
        if hmac.compare_digest(expected.encode(), signature.encode()):
            return True
        return self._validator.validate(url, params, signature, algorithm)

    def require(self) -> None:
        """Abort with 403 unless the current request is signed."""
        if not self.is_valid():
            abort(403)


class _FormFields(dict[str, list[str]]):
    """A form's fields and all their values, as RequestValidator reads them fastest.

    It asks a mapping for getall() first; a MultiDict or a dict answers only after one or two
    AttributeErrors, for every field of every request.
    """

    def getall(self, name: str) -> list[str]:
        """Every value sent for the field name."""
        return self[name]
