"""The AWS requests a publish makes, with errors that say what was being done."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from sitegen.errors import PublishError
from sitegen.publish.stale import MARK, Remote

if TYPE_CHECKING:
    from mypy_boto3_cloudfront import CloudFrontClient
    from mypy_boto3_cloudfront.type_defs import InvalidationBatchTypeDef
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Turn boto3's errors into a PublishError that says what was being done."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        yield
    except NoCredentialsError as exc:
        hint = "configure them with `aws configure`, AWS_PROFILE or --profile"
        raise PublishError(f"{action}: no AWS credentials found; {hint}") from exc
    except ClientError as exc:
        error = exc.response.get("Error", {})
        detail = f"{error.get('Code', 'Error')}: {error.get('Message', '')}".rstrip(": ")
        raise PublishError(f"{action}: {detail}") from exc
    except BotoCoreError as exc:
        raise PublishError(f"{action}: {exc}") from exc


def remote_objects(s3: S3Client, bucket: str) -> dict[str, Remote]:
    """Every key in the bucket with its ETag (quotes removed) and last modification time."""
    objects: dict[str, Remote] = {}
    with aws_errors(f"listing bucket {bucket}"):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                objects[item["Key"]] = Remote(item["ETag"].strip('"'), item["LastModified"])
    return objects


def delete(s3: S3Client, bucket: str, keys: Iterable[str]) -> None:
    """Delete up to 1000 keys in one request; any key S3 refuses is an error."""
    objects: list[ObjectIdentifierTypeDef] = [{"Key": key} for key in keys]
    with aws_errors(f"deleting {len(objects)} file(s)"):
        result = s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
    if result.get("Errors"):
        first = result["Errors"][0]
        raise PublishError(f"deleting {first.get('Key')}: {first.get('Message')}")


def invalidate(cloudfront: CloudFrontClient, distribution_id: str, paths: tuple[str, ...]) -> str:
    """One invalidation of `paths`; its id."""
    reference = f"publish-{time.time_ns()}"
    batch: InvalidationBatchTypeDef = {
        "Paths": {"Quantity": len(paths), "Items": list(paths)},
        "CallerReference": reference,
    }
    with aws_errors(f"invalidating {len(paths)} path(s) on {distribution_id}"):
        response = cloudfront.create_invalidation(
            DistributionId=distribution_id, InvalidationBatch=batch
        )
    return response["Invalidation"]["Id"]


def read_marks(s3: S3Client, bucket: str, keys: Iterable[str]) -> dict[str, datetime | None]:
    """When each asset was marked unused, or None if it never was."""
    marks: dict[str, datetime | None] = {}
    for key in keys:
        with aws_errors(f"reading {key}"):
            head = s3.head_object(Bucket=bucket, Key=key)
        text = head.get("Metadata", {}).get(MARK)
        marks[key] = _parse_time(text, key) if text else None
    return marks


def _parse_time(text: str, key: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise PublishError(f"{key}: {MARK} is not a time: {text!r}") from exc
    if moment.tzinfo is None:
        raise PublishError(f"{key}: {MARK} has no time zone: {text!r}")
    return moment


def mark(s3: S3Client, bucket: str, key: str, now: datetime) -> None:
    """Record that `key` is unused since `now`: copy it onto itself, keeping its headers."""
    with aws_errors(f"marking {key} unused"):
        head = s3.head_object(Bucket=bucket, Key=key)
        s3.copy_object(
            Bucket=bucket,
            Key=key,
            CopySource={"Bucket": bucket, "Key": key},
            MetadataDirective="REPLACE",
            Metadata={**head.get("Metadata", {}), MARK: now.isoformat(timespec="seconds")},
            ContentType=head.get("ContentType", "application/octet-stream"),
            CacheControl=head.get("CacheControl", ""),
        )
