"""The not-found function: the 404 page of the path's language, read from S3 (moto server)."""

from __future__ import annotations

import importlib.util
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from sitegen.serve.dynamodb_local import free_port

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

HANDLER = Path(__file__).resolve().parents[2] / "infra" / "not_found" / "handler.py"
EVENT = Path(__file__).resolve().parent / "events" / "http-api-via-cloudfront.json"
BUCKET = "site"
PAGES = {
    "en": "<h1>Page not found</h1>",
    "de": "<h1>Seite nicht gefunden</h1>",
    "pl": "<h1>Nie znaleziono strony</h1>",
}


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """A moto server on 127.0.0.1 and a free port, for this module."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> S3Client:
    """An empty moto S3 with the site bucket, and the function's environment."""
    reset = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")  # noqa: S310
    urllib.request.urlopen(reset, timeout=10).close()  # noqa: S310 - moto's local http URL
    for name, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "AWS_EC2_METADATA_DISABLED": "true",
        "SITE_BUCKET": BUCKET,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    client: S3Client = boto3.client("s3")
    client.create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
    )
    return client


@pytest.fixture
def not_found(s3: S3Client) -> ModuleType:
    """The handler module, loaded as Lambda loads it, after the environment is set."""
    spec = importlib.util.spec_from_file_location("not_found_handler", HANDLER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def event(path: str) -> dict[str, Any]:
    recorded: dict[str, Any] = json.loads(EVENT.read_text(encoding="utf-8"))
    recorded.update(routeKey="GET /{proxy+}", rawPath=path, body=None)
    recorded["requestContext"]["http"].update(method="GET", path=path)
    return recorded


def upload_pages(s3: S3Client) -> None:
    for language, page in PAGES.items():
        s3.put_object(Bucket=BUCKET, Key=f"{language}/404.html", Body=page.encode())


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("/de/geschichten/missing/index.html", "de"),
        ("/pl/historie/missing/index.html", "pl"),
        ("/en/stories/missing/index.html", "en"),
        ("/wp-login.php", "en"),
        ("/fr/index.html", "en"),
        ("/", "en"),
        ("/dex/index.html", "en"),
    ],
)
def test_the_404_page_of_the_paths_language(
    not_found: ModuleType, s3: S3Client, path: str, language: str
) -> None:
    upload_pages(s3)
    response = not_found.handler(event(path), None)
    assert response == {
        "statusCode": 404,
        "headers": {
            "content-type": "text/html; charset=utf-8",
            "cache-control": "public, max-age=60",
        },
        "body": PAGES[language],
    }


def test_a_page_not_yet_published_still_answers_404(not_found: ModuleType) -> None:
    response = not_found.handler(event("/de/missing/index.html"), None)
    assert response["statusCode"] == 404
    assert response["body"] == not_found.FALLBACK


def test_an_event_without_a_path_gets_the_default_language(
    not_found: ModuleType, s3: S3Client
) -> None:
    upload_pages(s3)
    assert not_found.handler({}, None)["body"] == PAGES["en"]
