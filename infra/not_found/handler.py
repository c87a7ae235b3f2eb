"""Answer a path the site does not have with the 404 page of the path's language.

CloudFront's origin group fails over here when S3 has no object for a page (S3 answers 403
or 404). A custom error page would be one page for the whole distribution, and CloudFront
Functions do not run on origin errors, so this is where the language is chosen.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

LANGUAGES = ("en", "de", "pl")
DEFAULT_LANGUAGE = "en"
FALLBACK = "<!doctype html><html lang=en><meta charset=utf-8><title>404</title><h1>404</h1>"

s3 = boto3.client("s3")


def language_of(path: str) -> str:
    """The language the path starts with, or the default language."""
    first = path.lstrip("/").split("/", 1)[0]
    return first if first in LANGUAGES else DEFAULT_LANGUAGE


def not_found_page(bucket: str, language: str) -> str:
    """The built 404 page of a language; a bare page when it cannot be read."""
    try:
        response = s3.get_object(Bucket=bucket, Key=f"{language}/404.html")
        body: bytes = response["Body"].read()
    except (BotoCoreError, ClientError):
        return FALLBACK
    return body.decode("utf-8")


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """HTTP API (payload 2.0) handler: always status 404, briefly cacheable."""
    language = language_of(str(event.get("rawPath", "/")))
    return {
        "statusCode": 404,
        "headers": {
            "content-type": "text/html; charset=utf-8",
            "cache-control": "public, max-age=60",
        },
        "body": not_found_page(os.environ["SITE_BUCKET"], language),
    }
