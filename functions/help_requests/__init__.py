"""The public forms' function: validate a help request or a helper's offer, store it once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .config import Config

__all__ = ["Config", "create_app"]


def __getattr__(name: str) -> Any:
    # Lambda imports this package before `handler`; importing nothing here lets `handler`
    # prepare the garbage collector before the heavy imports.
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "Config":
        from .config import Config

        return Config
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
