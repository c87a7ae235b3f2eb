"""A contract that cannot be read, parsed or understood is a ConfigError naming its file and,
where the parser knows it, the line; never a parser's own exception."""

from __future__ import annotations

from pathlib import Path

import pytest

from functions.help_requests.contract import load_contract
from functions.help_requests.errors import ConfigError


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("openapi.yaml", b"openapi: 3.1.0\ninfo: {}\npaths: a: b\n", r"\.yaml:3: .* not YAML"),
        ("openapi.yaml", b"openapi: [\n  3.1.0\n", r"\.yaml:3: .* not YAML"),
        ("openapi.yaml", b"openapi: \xff\xfe\n", r"\.yaml: .* not UTF-8"),
        ("openapi.json", b'{"openapi": "3.1.0",\n "info": }', r"\.json:2: .* not JSON"),
        ("openapi.yaml", b"openapi: 3.1.0\n", r"\.yaml: .*components"),
        ("missing.yaml", None, r"missing\.yaml: cannot read"),
    ],
)
def test_a_contract_that_cannot_be_used_is_a_config_error_at_its_line(
    tmp_path: Path, name: str, data: bytes | None, expected: str
) -> None:
    path = tmp_path / name
    if data is not None:
        path.write_bytes(data)
    with pytest.raises(ConfigError, match=expected) as raised:
        load_contract(path)
    assert str(raised.value).startswith(str(path))
