"""Signed link tokens: each refusal exactly, properties over generated claims, and the key
ring read from Secrets Manager (moto in server mode)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.shared.tokens import (
    Claims,
    KeyLoader,
    KeyRing,
    Refusal,
    SigningKey,
    SigningKeysError,
    parse_secret,
    sign,
    verify,
)
from sitegen.serve.moto import MotoServer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

OLD = SigningKey("2025", b"o" * 32)
NEW = SigningKey("2026", b"n" * 40)
RING = KeyRing(NEW, OLD)
NOW = 1_800_000_000
LATER = NOW + 3600
ITEM = "offer#3f2b8c1e-7d7a-4c55-9a1e-0c6f1d3e8b21"

purposes = st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)
items = st.text(min_size=1, max_size=80)
versions = st.integers(min_value=0, max_value=2**53)
lifetimes = st.integers(min_value=1, max_value=60 * 24 * 3600)


def test_a_token_gives_back_its_claims() -> None:
    token = sign(NEW, "confirm-offer", ITEM, 3, LATER)
    assert verify(RING, token, "confirm-offer", NOW) == Claims("confirm-offer", ITEM, 3, LATER)


def test_a_token_is_url_safe() -> None:
    token = sign(NEW, "confirm-offer", "ü ö/?&=#", 0, LATER)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def test_a_changed_signature_is_refused_as_tampered() -> None:
    token = sign(NEW, "confirm-offer", ITEM, 3, LATER)
    key_id, body, signature = token.split(".")
    flipped = "A" if signature[0] != "A" else "B"
    assert verify(RING, f"{key_id}.{body}.{flipped}{signature[1:]}", "confirm-offer", NOW) is (
        Refusal.TAMPERED
    )


def test_claims_changed_and_signed_with_another_key_are_refused_as_tampered() -> None:
    forged = sign(SigningKey(NEW.key_id, b"x" * 32), "confirm-offer", ITEM, 3, LATER)
    assert verify(RING, forged, "confirm-offer", NOW) is Refusal.TAMPERED


def test_a_token_of_an_unknown_key_is_refused_as_tampered() -> None:
    token = sign(SigningKey("2024", b"o" * 32), "confirm-offer", ITEM, 3, LATER)
    assert verify(RING, token, "confirm-offer", NOW) is Refusal.TAMPERED


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b", "a.b.c.d", "2026..", "2026.e30.", "ü.ü.ü", "2026." + "A" * 2000 + ".x"],
)
def test_a_malformed_token_is_refused_as_tampered(token: str) -> None:
    assert verify(RING, token, "confirm-offer", NOW) is Refusal.TAMPERED


@pytest.mark.parametrize(
    "claims",
    [
        b"[]",
        b"not json",
        b'{"p":"confirm-offer","i":"x","v":1}',
        b'{"p":"confirm-offer","i":"x","v":true,"e":1900000000}',
        b'{"p":"confirm-offer","i":"x","v":1,"e":1.9e9}',
        b'{"p":"confirm-offer","i":7,"v":1,"e":1900000000}',
        b'{"p":"confirm-offer","i":"x","v":1,"e":1900000000,"extra":1}',
    ],
)
def test_signed_claims_of_the_wrong_shape_are_refused_as_tampered(claims: bytes) -> None:
    import base64
    import hashlib
    import hmac

    def encode(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signed = f"{NEW.key_id}.{encode(claims)}"
    signature = encode(hmac.new(NEW.secret, signed.encode(), hashlib.sha256).digest())
    assert verify(RING, f"{signed}.{signature}", "confirm-offer", NOW) is Refusal.TAMPERED


def test_a_token_at_its_expiry_is_refused_as_expired() -> None:
    token = sign(NEW, "confirm-offer", ITEM, 3, LATER)
    assert verify(RING, token, "confirm-offer", LATER - 0.001) == Claims(
        "confirm-offer", ITEM, 3, LATER
    )
    assert verify(RING, token, "confirm-offer", LATER) is Refusal.EXPIRED


def test_a_token_for_another_purpose_is_refused_as_wrong_purpose() -> None:
    token = sign(NEW, "decline-introduction", ITEM, 3, LATER)
    assert verify(RING, token, "accept-introduction", NOW) is Refusal.WRONG_PURPOSE


def test_a_token_of_the_previous_key_still_verifies() -> None:
    token = sign(OLD, "follow-up", ITEM, 1, LATER)
    assert verify(RING, token, "follow-up", NOW) == Claims("follow-up", ITEM, 1, LATER)


def test_a_token_of_a_key_rotated_out_is_refused_as_tampered() -> None:
    token = sign(OLD, "follow-up", ITEM, 1, LATER)
    rotated = KeyRing(SigningKey("2027", b"z" * 32), NEW)
    assert verify(rotated, token, "follow-up", NOW) is Refusal.TAMPERED


@pytest.mark.parametrize(
    ("purpose", "version", "message"),
    [
        ("Confirm", 0, "a purpose is lowercase letters, digits and '-', starting with a letter"),
        ("a.b", 0, "a purpose is lowercase letters, digits and '-', starting with a letter"),
        ("confirm-offer", -1, "a version is never negative"),
    ],
)
def test_sign_refuses_claims_a_token_cannot_carry(purpose: str, version: int, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        sign(NEW, purpose, ITEM, version, LATER)


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^a signing key has at least 32 bytes$"):
        SigningKey("k", b"x" * 31)


@given(purposes, items, versions, lifetimes)
def test_claims_round_trip(purpose: str, item: str, version: int, lifetime: int) -> None:
    token = sign(NEW, purpose, item, version, NOW + lifetime)
    assert verify(RING, token, purpose, NOW) == Claims(purpose, item, version, NOW + lifetime)


@given(purposes, items, versions, st.data())
def test_any_single_byte_change_is_refused(
    purpose: str, item: str, version: int, data: st.DataObject
) -> None:
    token = sign(NEW, purpose, item, version, LATER).encode()
    position = data.draw(st.integers(0, len(token) - 1), label="position")
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != token[position]), label="byte")
    changed = token[:position] + bytes([byte]) + token[position + 1 :]
    text = changed.decode("utf-8", errors="surrogateescape")
    assert verify(RING, text, purpose, NOW) is Refusal.TAMPERED


@given(purposes, purposes, items, versions)
def test_a_token_verifies_only_for_its_own_purpose(
    purpose: str, other: str, item: str, version: int
) -> None:
    token = sign(NEW, purpose, item, version, LATER)
    expected = Refusal.WRONG_PURPOSE if other != purpose else Claims(purpose, item, version, LATER)
    assert verify(RING, token, other, NOW) == expected


@given(purposes, items, versions, lifetimes, st.integers(min_value=0, max_value=10**6))
def test_a_token_verifies_only_before_its_expiry(
    purpose: str, item: str, version: int, lifetime: int, after: int
) -> None:
    token = sign(NEW, purpose, item, version, NOW + lifetime)
    assert verify(RING, token, purpose, NOW + lifetime - 1) == Claims(
        purpose, item, version, NOW + lifetime
    )
    assert verify(RING, token, purpose, NOW + lifetime + after) is Refusal.EXPIRED


# The key ring from Secrets Manager.

SECRET = {"id": "2026", "key": "n" * 40, "previous_id": "2025", "previous_key": "o" * 32}


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    """moto in server mode for this module."""
    with MotoServer() as server:
        yield server


class CountingClient:
    """A Secrets Manager client that counts its calls (the real one does the work)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls = 0

    def get_secret_value(self, *, SecretId: str) -> Any:
        """Count, then ask the real client."""
        self.calls += 1
        return self.client.get_secret_value(SecretId=SecretId)


def test_the_key_ring_is_read_once_per_container(moto: MotoServer) -> None:
    client = moto.client("secretsmanager")
    client.create_secret(Name="link-keys-once", SecretString=json.dumps(SECRET))
    counting = CountingClient(client)
    loader = KeyLoader(counting, "link-keys-once")
    assert loader.keys() == RING
    assert loader.keys() == RING
    assert counting.calls == 1


def test_a_missing_secret_is_a_signing_keys_error(moto: MotoServer) -> None:
    loader = KeyLoader(moto.client("secretsmanager"), "no-such-secret")
    with pytest.raises(SigningKeysError, match=r"^cannot read secret 'no-such-secret': "):
        loader.keys()


def test_a_secret_of_one_key_has_no_previous_key() -> None:
    assert parse_secret(json.dumps({"id": "2026", "key": "n" * 40})) == KeyRing(NEW)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nope", "the signing keys' secret is not JSON"),
        ("[]", "the signing keys' secret is not a JSON object"),
        ("{}", "the signing keys' secret needs 'id' and 'key'"),
        ('{"id": "a", "key": 5}', "the signing keys' secret needs 'id' and 'key' as text"),
        ('{"id": "a", "key": "short"}', "'key' in the signing keys' secret: a signing key has"),
    ],
)
def test_a_malformed_secret_is_a_signing_keys_error(text: str, message: str) -> None:
    with pytest.raises(SigningKeysError, match=f"^{re.escape(message)}"):
        parse_secret(text)


# "Already used": the caller's conditional write on the version the token carries.


@pytest.mark.dynamodb
def test_a_reused_token_fails_the_callers_conditional_write_on_its_version(
    dynamodb_client: DynamoDBClient, dynamodb_table: str
) -> None:
    key = {"pk": {"S": ITEM}}
    dynamodb_client.put_item(TableName=dynamodb_table, Item={**key, "version": {"N": "3"}})
    token = sign(NEW, "accept-introduction", ITEM, 3, LATER)

    def use(token: str) -> str:
        claims = verify(RING, token, "accept-introduction", NOW)
        assert isinstance(claims, Claims)
        try:
            dynamodb_client.update_item(
                TableName=dynamodb_table,
                Key={"pk": {"S": claims.item}},
                UpdateExpression="SET version = version + :one",
                ConditionExpression="version = :seen",
                ExpressionAttributeValues={":one": {"N": "1"}, ":seen": {"N": str(claims.version)}},
            )
        except dynamodb_client.exceptions.ConditionalCheckFailedException:
            return "already used"
        return "done"

    assert [use(token), use(token)] == ["done", "already used"]
    item = dynamodb_client.get_item(TableName=dynamodb_table, Key=key)["Item"]
    assert item["version"] == {"N": "4"}
