"""Configuration of the moderators' function, read once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..shared.settings import endpoint, region, require, require_key, required, whole

DEFAULT_RETENTION_DAYS = 180


@dataclass(frozen=True)
class Config:
    """Where the table is, and the secret its contacts are hashed with."""

    table_name: str
    contact_hash_key: bytes = field(repr=False)
    retention_days: int = DEFAULT_RETENTION_DAYS
    dynamodb_endpoint: str | None = None
    region: str | None = None

    def __post_init__(self) -> None:
        require(bool(self.table_name.strip()), "TABLE_NAME", "must not be empty")
        require_key(self.contact_hash_key, "CONTACT_HASH_KEY")
        require(self.retention_days >= 1, "RETENTION_DAYS", "must be at least 1")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        """Read the configuration from environment variables; every error names its key."""
        return cls(
            table_name=required(env, "TABLE_NAME"),
            contact_hash_key=required(env, "CONTACT_HASH_KEY").encode(),
            retention_days=retention_days(env),
            dynamodb_endpoint=endpoint(env, "DYNAMODB_ENDPOINT"),
            region=region(env),
        )


def retention_days(env: Mapping[str, str]) -> int:
    """RETENTION_DAYS, the same number the public function keeps requests for."""
    return whole(env, "RETENTION_DAYS", DEFAULT_RETENTION_DAYS)
