"""YAML parsing that remembers the line of every key, so errors can point at it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sitegen.classes import dataclass
from sitegen.content import plainyaml
from sitegen.errors import ContentError, Problem

# PyYAML is imported where a text needs it: most front matter does not (`plainyaml`).
if TYPE_CHECKING:
    import yaml


@dataclass(frozen=True)
class Field:
    """A value read from YAML and the 1-based line of its key."""

    value: object
    line: int


# The most of a wrong value an error quotes.
_SHOWN = 80


def shown(value: object) -> str:
    """A value as an error quotes it: text in quotes, cut short when long (a pasted text,
    lists within lists), and named when Python cannot write it out (lists too deep for its
    stack, a whole number of thousands of digits)."""
    try:
        text = repr(value) if isinstance(value, str) else str(value)
    except RecursionError:
        return "lists within lists, too deep to show"
    except ValueError:
        return "a number too long to show"
    return text if len(text) <= _SHOWN else f"{text[: _SHOWN - 1]}…"


def load_mapping(text: str, path: Path, *, first_line: int = 1) -> dict[str, Field]:
    """Parse YAML text whose top level is a mapping; `first_line` is the text's line in the file."""
    simple = plainyaml.read(text, first_line)
    if simple is not None:
        return _plain_fields(simple)
    import yaml

    try:
        node = _compose(text, path, first_line)
        if node is None:
            return {}
        if _expanded(node, {}) > MOST_VALUES:
            # Aliases of aliases (`b: [*a, *a]`, `c: [*b, *b]`...) double what each level
            # holds: read out, a few lines would be billions of values.
            hint = "write the values out, or use each &anchor only where it is needed"
            message = f"the YAML's aliases (*name) repeat more than {MOST_VALUES:,} values"
            raise ContentError([Problem(path, first_line, message, hint)])
        if not isinstance(node, yaml.MappingNode):
            line = node.start_mark.line + first_line
            problem = Problem(path, line, "expected 'key: value' lines", _MAPPING_HINT)
            raise ContentError([problem])
        return _fields(node, path, first_line)
    except RecursionError:
        raise ContentError([_too_deep(path, first_line)]) from None


def _expanded(node: yaml.Node, sizes: dict[int, int]) -> int:
    """How many nodes the text holds with every alias read out: each node counted once."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = 1  # a node within itself (`&a [*a]`) counts once more
    value = node.value
    size = 1
    if isinstance(value, list):
        for item in value:
            if isinstance(item, tuple):
                size += _expanded(item[0], sizes) + _expanded(item[1], sizes)
            else:
                size += _expanded(item, sizes)
            if size > MOST_VALUES:
                break
    sizes[id(node)] = size
    return size


def _too_deep(path: Path, line: int) -> Problem:
    """Mappings or lists within each other past what Python's stack takes, read or walked."""
    hint = "write the keys and lists with fewer levels within each other"
    return Problem(path, line, "the YAML is nested too deeply to read", hint)


def load_flat_strings(text: str, path: Path) -> dict[str, Field]:
    """Parse nested YAML mappings of text into dotted keys (`form.name.label`)."""
    fields: dict[str, Field] = {}
    problems: list[Problem] = []
    mapping = load_mapping(text, path)
    try:
        _flatten(mapping, "", path, fields, problems)
    except RecursionError:
        raise ContentError([_too_deep(path, 1)]) from None
    if problems:
        raise ContentError(problems)
    return fields


def _plain_fields(read: dict[str, tuple[object, int]]) -> dict[str, Field]:
    """What `plainyaml.read` gives, as `Field`s, mappings within too."""
    return {
        key: Field(_plain_fields(value) if type(value) is dict else value, line)
        for key, (value, line) in read.items()
    }


# The most values a text may hold with its aliases read out.
MOST_VALUES = 100_000

_MAPPING_HINT = "write one 'key: value' per line, e.g. 'title: My story'"


def _compose(text: str, path: Path, first_line: int) -> yaml.Node | None:
    import yaml

    # libyaml parses about ten times faster; the pure-Python loader gives the same nodes.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + first_line if mark else first_line
        message = f"YAML syntax error: {exc.problem or exc.context}"
        hint = "check indentation, and quote values that contain ': ' or start with a quote"
        raise ContentError([Problem(path, line, message, hint)]) from exc
    except yaml.YAMLError as exc:
        raise ContentError([Problem(path, first_line, f"YAML error: {exc}")]) from exc


def _fields(node: yaml.MappingNode, path: Path, first_line: int) -> dict[str, Field]:
    import yaml

    fields: dict[str, Field] = {}
    problems: list[Problem] = []
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + first_line
        if not isinstance(key_node, yaml.ScalarNode):
            problems.append(Problem(path, line, "a key must be plain text", _MAPPING_HINT))
            continue
        key = str(key_node.value)
        if key in fields:
            first = fields[key].line
            problems.append(
                Problem(
                    path, line, f"'{key}' appears twice", f"keep one; the other is line {first}"
                )
            )
            continue
        fields[key] = Field(_construct(value_node, path, first_line), line)
    if problems:
        raise ContentError(problems)
    return fields


def _construct(node: yaml.Node, path: Path, first_line: int) -> object:
    import yaml

    if isinstance(node, yaml.MappingNode):
        return _fields(node, path, first_line)
    try:
        return _construct_value(node)
    except (ValueError, yaml.YAMLError, AttributeError, IndexError, KeyError, TypeError):
        # Values that look like timestamps but are not (2019-13-45) raise here, and so do values
        # with a tag that does not fit them (`!!timestamp soon`, `!!bool maybe`, `!!int ""`);
        # keep the text so the schema can say what is wrong with it.
        return node.value if isinstance(node, yaml.ScalarNode) else None


# Constructors to reuse: making one per value cost more than constructing the value.
_spare: list[yaml.constructor.SafeConstructor] = []


def _construct_value(node: yaml.Node) -> object:
    try:
        constructor = _spare.pop()
    except IndexError:
        import yaml.constructor

        constructor = yaml.constructor.SafeConstructor()
    value = constructor.construct_document(node)
    # Given back only when it finished: one that raised may hold half-made objects.
    _spare.append(constructor)
    return value


def _flatten(
    fields: dict[str, Field],
    prefix: str,
    path: Path,
    out: dict[str, Field],
    problems: list[Problem],
) -> None:
    for key, field in fields.items():
        name = f"{prefix}{key}"
        if isinstance(field.value, dict):
            _flatten(field.value, f"{name}.", path, out, problems)
        elif isinstance(field.value, str) and field.value.strip():
            out[name] = field
        else:
            hint = "write the text after the colon; quote it if it starts with { or ["
            problems.append(Problem(path, field.line, f"'{name}' must be non-empty text", hint))


def plain(value: object) -> object:
    """Strip line information from a value that came from `load_mapping`."""
    if isinstance(value, dict):
        return {k: plain(f.value) for k, f in value.items() if isinstance(f, Field)}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
