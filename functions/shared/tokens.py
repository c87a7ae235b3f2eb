"""Signed tokens for the links in e-mails: what a link may do, to which item, until when.

A token is `<key id>.<claims>.<signature>`, each part URL-safe base64 without padding, the
signature an HMAC-SHA256 of the first two parts. The claims name a purpose (`confirm-offer`,
`accept-introduction`...), an item, the item's version when the token was made, and an expiry
in epoch seconds. Signing and checking are pure: no I/O, the clock is passed in.

Keys rotate: a token names the key it was signed with, and `verify` takes the current key and
the previous one, so links sent before a rotation keep working until they expire.

"Already used" is not decided here. A token carries the version of the item it was made for;
the caller's change to the item is a conditional write on that version (and increments it),
so the first use succeeds and any later use of the same token fails the condition, however
close together they come. The caller then shows the "already used" page."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from .errors import HelpRequestError

KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
PURPOSE = re.compile(r"[a-z][a-z0-9-]{0,39}")
MIN_KEY_BYTES = 32
MAX_TOKEN_LENGTH = 1024


class Refusal(StrEnum):
    """Why a token does not allow what it is shown for."""

    TAMPERED = "tampered"  # malformed, signed with an unknown key, or the signature differs
    EXPIRED = "expired"
    WRONG_PURPOSE = "wrong-purpose"


@dataclass(frozen=True)
class SigningKey:
    """A secret and the id that tokens signed with it carry."""

    key_id: str
    secret: bytes

    def __post_init__(self) -> None:
        if not KEY_ID.fullmatch(self.key_id):
            raise ValueError("a key id is 1 to 32 of A-Z, a-z, 0-9, '_' and '-'")
        if len(self.secret) < MIN_KEY_BYTES:
            raise ValueError(f"a signing key has at least {MIN_KEY_BYTES} bytes")


@dataclass(frozen=True)
class KeyRing:
    """The key that signs new tokens, and the one before it, still accepted."""

    current: SigningKey
    previous: SigningKey | None = None

    def find(self, key_id: str) -> SigningKey | None:
        """The key with this id, if it is one of the two."""
        for key in (self.current, self.previous):
            if key is not None and hmac.compare_digest(key.key_id, key_id):
                return key
        return None


@dataclass(frozen=True)
class Claims:
    """What a valid token says."""

    purpose: str
    item: str
    version: int
    expires: int


def sign(key: SigningKey, purpose: str, item: str, version: int, expires: int) -> str:
    """A URL-safe token for `purpose` on `item` at `version`, valid before `expires`."""
    if not PURPOSE.fullmatch(purpose):
        raise ValueError("a purpose is lowercase letters, digits and '-', starting with a letter")
    if version < 0:
        raise ValueError("a version is never negative")
    claims = {"p": purpose, "i": item, "v": version, "e": expires}
    body = _encode(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    signed = f"{key.key_id}.{body}"
    return f"{signed}.{_signature(key, signed)}"


def verify(keys: KeyRing, token: str, purpose: str, now: float) -> Claims | Refusal:
    """The token's claims when it is intact, for `purpose`, and not expired at `now`."""
    claims = _intact_claims(keys, token)
    if claims is None:
        return Refusal.TAMPERED
    if claims.purpose != purpose:  # no secret: the signature is already checked
        return Refusal.WRONG_PURPOSE
    if now >= claims.expires:
        return Refusal.EXPIRED
    return claims


def _intact_claims(keys: KeyRing, token: str) -> Claims | None:
    if len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return None
    parts = token.split(".")
    if len(parts) != 3:
        return None
    key_id, body, signature = parts
    key = keys.find(key_id)
    if key is None:
        return None
    expected = _signature(key, f"{key_id}.{body}")
    # The text, not the decoded bytes: base64's spare low bits would let two texts pass.
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return None
    return _parse_claims(body)


def _parse_claims(body: str) -> Claims | None:
    try:
        data: Any = json.loads(_decode(body))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(data, dict) or set(data) != {"p", "i", "v", "e"}:
        return None
    purpose, item, version, expires = data["p"], data["i"], data["v"], data["e"]
    if not (isinstance(purpose, str) and isinstance(item, str)):
        return None
    if type(version) is not int or type(expires) is not int:
        return None
    return Claims(purpose, item, version, expires)


def _signature(key: SigningKey, signed: str) -> str:
    return _encode(hmac.new(key.secret, signed.encode(), hashlib.sha256).digest())


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SecretsClient(Protocol):
    """The one call of a boto3 Secrets Manager client that loading keys makes."""

    def get_secret_value(self, *, SecretId: str) -> Any:
        """The secret's current value."""
        ...


class SigningKeysError(HelpRequestError):
    """The signing keys cannot be read, or the secret does not hold them."""


class KeyLoader:
    """Reads the key ring from Secrets Manager on first use, then keeps it for the container.

    The secret is a JSON object: `{"id": ..., "key": ...}` for the current key, and
    `previous_id`, `previous_key` for the one before it after a rotation."""

    def __init__(self, client: SecretsClient, secret_id: str) -> None:
        self.client = client
        self.secret_id = secret_id
        self._keys: KeyRing | None = None

    def keys(self) -> KeyRing:
        """The key ring, read once."""
        if self._keys is None:
            self._keys = parse_secret(self._read())
        return self._keys

    def _read(self) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            value = self.client.get_secret_value(SecretId=self.secret_id)
        except (BotoCoreError, ClientError) as exc:
            raise SigningKeysError(f"cannot read secret {self.secret_id!r}: {exc}") from exc
        text = value.get("SecretString")
        if not isinstance(text, str):
            raise SigningKeysError(f"secret {self.secret_id!r} has no SecretString")
        return text


def parse_secret(text: str) -> KeyRing:
    """The key ring a secret's JSON text holds."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SigningKeysError("the signing keys' secret is not JSON") from exc
    if not isinstance(data, dict):
        raise SigningKeysError("the signing keys' secret is not a JSON object")
    current = _key(data, "id", "key")
    if current is None:
        raise SigningKeysError("the signing keys' secret needs 'id' and 'key'")
    return KeyRing(current, _key(data, "previous_id", "previous_key"))


def _key(data: dict[str, Any], id_name: str, key_name: str) -> SigningKey | None:
    key_id, secret = data.get(id_name), data.get(key_name)
    if key_id is None and secret is None:
        return None
    if not isinstance(key_id, str) or not isinstance(secret, str):
        raise SigningKeysError(
            f"the signing keys' secret needs '{id_name}' and '{key_name}' as text"
        )
    try:
        return SigningKey(key_id, secret.encode())
    except ValueError as exc:
        raise SigningKeysError(f"'{key_name}' in the signing keys' secret: {exc}") from exc
