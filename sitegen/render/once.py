"""Template parts rendered once and reused: `{% once a, b %}...{% endonce %}`.

A site repeats itself: every page of a language has the same footer, and a story's card is the
same on every list that shows it. The body of a `once` tag is rendered the first time its
values are seen and its text reused after that, so the values must be everything the body
shows. Values are the same when they are equal and of one type; values that cannot be hashed
(a mapping, or an object holding one) when they are the same object, which a build never
changes.
"""

from __future__ import annotations

import itertools
import types
from collections.abc import Callable
from typing import Any

from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from jinja2.runtime import Context, Macro

# Callables that cannot ask for the context (written in C, macros), and those that ask with
# an attribute of their own or of their function.
_NATIVE = frozenset({types.BuiltinFunctionType, types.MethodWrapperType, Macro})
_FUNCTIONS = frozenset({types.FunctionType, types.MethodType})
# Per class of callable objects: whether its `__call__` is a function without the marker.
_CALLABLE_KINDS: dict[type[object], bool] = {}


class Once(Extension):
    """The `once` tag; what it rendered lives as long as the environment."""

    tags = {"once"}  # noqa: RUF012 - as Extension declares it

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self._tags = itertools.count()
        # Each entry keeps its values alive, so that no other object can take their ids.
        self.rendered: dict[tuple[object, ...], tuple[str, tuple[object, ...]]] = {}

    def parse(self, parser: Parser) -> nodes.Node:
        """`{% once expression, ... %}` up to `{% endonce %}`."""
        lineno = next(parser.stream).lineno
        values = [parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            values.append(parser.parse_expression())
        body = parser.parse_statements(("name:endonce",), drop_needle=True)
        # Tags may share a line; the number tells them apart.
        where = nodes.Const(f"{parser.name}:{lineno}:{next(self._tags)}")
        call = self.call_method("_render", [where, nodes.Tuple(values, "load")])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _render(self, where: str, values: tuple[object, ...], caller: Callable[[], str]) -> str:
        # With the types: 1, 1.0 and True are equal, but not written alike.
        key: tuple[object, ...] = (where, values, tuple(map(type, values)))
        try:
            found = self.rendered.get(key)
        except TypeError:
            key = (where, tuple(map(_identity, values)), key[2])
            found = self.rendered.get(key)
        if found is None:
            found = self.rendered[key] = (caller(), values)
        return found[0]


def _identity(value: object) -> object:
    """A value as it is if it can be hashed, else its type and id."""
    try:
        hash(value)
    except TypeError:
        return (type(value), id(value))
    return value


class FastContext(Context):
    """Jinja's context, calling functions, methods and macros with fewer checks.

    Jinja looks for a marker (`jinja_pass_arg`) on every callable, and on its `__call__`, to
    know whether it wants the context passed in. Functions written in C and macros cannot
    have one; a function or method has it as an attribute; an instance of a class whose
    `__call__` has none can have it only as an attribute."""

    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """The result of `__obj(*args, **kwargs)`, as Jinja calls it."""
        kind: type[object] = type(__obj)
        if kind not in _NATIVE:
            if kind not in _FUNCTIONS and not _plain_call(kind):
                return super().call(__obj, *args, **kwargs)
            if hasattr(__obj, "jinja_pass_arg"):
                return super().call(__obj, *args, **kwargs)
        if kwargs:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


def _plain_call(kind: type[object]) -> bool:
    """Whether instances of `kind` are called through a function of its own without a marker."""
    plain = _CALLABLE_KINDS.get(kind)
    if plain is None:
        method = getattr(kind, "__call__", None)  # noqa: B004 - the method itself is wanted
        plain = type(method) is types.FunctionType and not hasattr(method, "jinja_pass_arg")
        _CALLABLE_KINDS[kind] = plain
    return plain
