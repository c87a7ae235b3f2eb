"""Publish `public/` to the site's S3 bucket, then invalidate what changed on CloudFront."""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sitegen.classes import dataclass
from sitegen.errors import PublishError
from sitegen.publish import aws, stale
from sitegen.publish.aws import aws_errors
from sitegen.publish.inbox import CONFIG_KEY, inbox_config, write_config
from sitegen.publish.stale import Kept, Remote

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudfront import CloudFrontClient
    from mypy_boto3_s3 import S3Client

DEFAULT_REGION = "eu-central-1"
# Never guessed from the platform's MIME database: every extension the site emits is here.
CONTENT_TYPES: Mapping[str, str] = {
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".ico": "image/vnd.microsoft.icon",
    ".jpeg": "image/jpeg",
    ".jpg": "image/jpeg",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".webmanifest": "application/manifest+json",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
    ".xml": "application/xml; charset=utf-8",
}
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"
DAY = "public, max-age=86400"
SHORT_LIVED = frozenset({".html", ".xml", ".json", ".txt", ".webmanifest"})
# Content-hashed names under the asset folders: `static/css/site.350888aa91.css`,
# `static/css/site.350888aa91.css.map`, `images/alice-almeida-afb18eac4d-480.webp`.
FINGERPRINTED = re.compile(r"^(static|images)/(.+/)?[^/]*[.-][0-9a-f]{8,64}[.-][^/]+$")
# Past this many paths, one `/*` costs less than listing them (each listed path is billed).
MAX_INVALIDATION_PATHS = 100
UPLOAD_THREADS = 8


@dataclass(frozen=True)
class LocalFile:
    """A built file, by the object key it is published under."""

    key: str
    path: Path
    md5: str


@dataclass(frozen=True)
class Upload:
    """A file to put, with the headers S3 stores and CloudFront serves."""

    file: LocalFile
    content_type: str
    cache_control: str


@dataclass(frozen=True)
class Plan:
    """What a publish changes: uploads (assets first), deletions and paths to invalidate."""

    uploads: tuple[Upload, ...]
    deletes: tuple[str, ...]
    unchanged: int
    invalidation: tuple[str, ...]
    # Unused fingerprinted assets left for pages still cached that point to them.
    kept: tuple[Kept, ...] = ()


@dataclass(frozen=True)
class Target:
    """Where the site goes."""

    bucket: str
    distribution_id: str | None
    # The stack's other outputs, of which the inbox's sign-in settings are made.
    outputs: Mapping[str, str] = field(default_factory=dict)


def headers_for(key: str) -> tuple[str, str]:
    """Content-Type and Cache-Control of an object key; unknown extensions are an error."""
    extension = Path(key).suffix.lower()
    content_type = CONTENT_TYPES.get(extension)
    if content_type is None:
        raise PublishError(f"{key}: no Content-Type is known for {extension or 'a bare name'!r}")
    if FINGERPRINTED.match(key):
        return content_type, IMMUTABLE
    return content_type, SHORT if extension in SHORT_LIVED else DAY


def make_plan(
    local: Mapping[str, LocalFile],
    remote: Mapping[str, Remote],
    *,
    now: datetime | None = None,
    keep_for: timedelta = stale.DEFAULT_KEEP,
    marks: Mapping[str, datetime | None] | None = None,
    keep: frozenset[str] = frozenset(),
) -> Plan:
    """Compare built files with the bucket's ETags (MD5 for single-part uploads).

    Unused fingerprinted assets are kept for `keep_for` after they fell out of use; `marks`
    says for those listed by `stale.needs_mark_check` since when they are unused; keys in
    `keep` are never deleted, though not built."""
    unknown = [key for key in local if Path(key).suffix.lower() not in CONTENT_TYPES]
    if unknown:
        listed = ", ".join(sorted(unknown)[:10])
        raise PublishError(
            f"{len(unknown)} file(s) with no known Content-Type: {listed}; "
            "add the extension to CONTENT_TYPES in sitegen/publish/command.py"
        )
    etags = {key: item.etag for key, item in remote.items()}
    changed = [file for key, file in sorted(local.items()) if etags.get(key) != file.md5]
    uploads = sorted((Upload(f, *headers_for(f.key)) for f in changed), key=_assets_first)
    unused = unused_assets(local, remote)
    moment = now or datetime.now(UTC)
    old, kept = stale.settle(unused, remote, marks or {}, moment, keep_for)
    deletes = tuple(sorted({*old, *(set(remote) - set(local) - set(unused) - keep)}))
    paths = [u.file.key for u in uploads if u.cache_control != IMMUTABLE]
    paths += [key for key in deletes if not FINGERPRINTED.match(key)]
    unchanged = len(local) - len(changed)
    return Plan(tuple(uploads), deletes, unchanged, invalidation_paths(paths), tuple(kept))


def unused_assets(local: Mapping[str, LocalFile], remote: Mapping[str, Remote]) -> list[str]:
    """Fingerprinted keys in the bucket that the built site no longer has."""
    return sorted(key for key in remote if key not in local and FINGERPRINTED.match(key))


def _assets_first(upload: Upload) -> tuple[bool, str]:
    # Pages go up last, so no new page ever points to an asset not yet uploaded.
    return upload.file.key.endswith(".html"), upload.file.key


def invalidation_paths(keys: Iterable[str]) -> tuple[str, ...]:
    """URL paths that serve these keys: `a/index.html` is also `/a/`; `/*` when too many."""
    paths: set[str] = set()
    for key in keys:
        paths.add("/" + key)
        if key == "index.html" or key.endswith("/index.html"):
            paths.add("/" + key.removesuffix("index.html"))
    if len(paths) > MAX_INVALIDATION_PATHS:
        return ("/*",)
    return tuple(quote(path) for path in sorted(paths))


def scan(public: Path) -> dict[str, LocalFile]:
    """Every file under `public/`, keyed by its path relative to it."""
    if not public.is_dir():
        raise PublishError(f"{public} does not exist; run `python build.py build` first")
    files = {
        path.relative_to(public).as_posix(): LocalFile(
            path.relative_to(public).as_posix(), path, file_md5(path)
        )
        for path in sorted(public.rglob("*"))
        if path.is_file() and not _hidden(path.relative_to(public))
    }
    if not files:
        raise PublishError(f"{public} is empty; run `python build.py build` first")
    return files


def _hidden(relative: Path) -> bool:
    # Dotfiles such as the generator's own `.sitegen-output` marker are never part of the site.
    return any(part.startswith(".") for part in relative.parts)


def file_md5(path: Path) -> str:
    """Hex MD5 of a file: what S3 reports as the ETag of a single-part upload."""
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def stack_target(cloudformation: CloudFormationClient, stack: str) -> Target:
    """Bucket and distribution from the stack's outputs `SiteBucketName` and `DistributionId`."""
    with aws_errors(f"reading stack {stack}"):
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    missing = [key for key in ("SiteBucketName", "DistributionId") if key not in outputs]
    if missing:
        raise PublishError(f"stack {stack} has no output {', '.join(missing)}; is it this site's?")
    return Target(outputs["SiteBucketName"], outputs["DistributionId"], outputs)


def apply(plan: Plan, target: Target, s3: S3Client, cloudfront: CloudFrontClient) -> str | None:
    """Upload, delete, then invalidate; the invalidation's id, if one was made."""
    assets = [u for u in plan.uploads if not u.file.key.endswith(".html")]
    pages = [u for u in plan.uploads if u.file.key.endswith(".html")]
    for batch in (assets, pages):
        with ThreadPoolExecutor(UPLOAD_THREADS) as pool:
            list(pool.map(lambda upload: put(s3, target.bucket, upload), batch))
    for start in range(0, len(plan.deletes), 1000):
        aws.delete(s3, target.bucket, plan.deletes[start : start + 1000])
    for kept in plan.kept:
        if kept.mark_at is not None:
            aws.mark(s3, target.bucket, kept.key, kept.mark_at)
    if not plan.invalidation or target.distribution_id is None:
        return None
    return aws.invalidate(cloudfront, target.distribution_id, plan.invalidation)


def put(s3: S3Client, bucket: str, upload: Upload) -> None:
    """Upload one file with its headers; S3 checks the body against its MD5."""
    body = upload.file.path.read_bytes()
    digest = base64.b64encode(bytes.fromhex(upload.file.md5)).decode()
    with aws_errors(f"uploading {upload.file.key}"):
        s3.put_object(
            Bucket=bucket,
            Key=upload.file.key,
            Body=body,
            ContentMD5=digest,
            ContentType=upload.content_type,
            CacheControl=upload.cache_control,
        )


def describe(plan: Plan) -> Iterator[str]:
    """One line per change, for --dry-run and the log."""
    for upload in plan.uploads:
        yield f"upload  {upload.file.key}  ({upload.content_type}; {upload.cache_control})"
    for key in plan.deletes:
        yield f"delete  {key}"
    for kept in plan.kept:
        until = kept.until.astimezone(UTC).isoformat(timespec="seconds")
        yield f"keep  {kept.key}  (unused; deleted by a publish from {until} on)"
    if plan.invalidation:
        yield f"invalidate  {' '.join(plan.invalidation)}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `build.py publish`."""
    parser.add_argument("--public", type=Path, default=Path("public"), help="default: public")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--stack", help="CloudFormation stack to read bucket and distribution from")
    target.add_argument("--bucket", help="S3 bucket (instead of --stack)")
    parser.add_argument("--distribution-id", help="CloudFront distribution (with --bucket)")
    parser.add_argument("--region", default=DEFAULT_REGION, help=f"default: {DEFAULT_REGION}")
    parser.add_argument("--profile", help="AWS profile (default: the usual AWS variables)")
    parser.add_argument("--dry-run", action="store_true", help="list the changes; change nothing")
    parser.add_argument(
        "--keep-assets-for",
        type=stale.parse_duration,
        default=stale.DEFAULT_KEEP,
        metavar="DURATION",
        help="keep unused fingerprinted assets this long for cached pages (3600, 24h, 1d;"
        " 0 deletes them at once); default: 1d",
    )


def run(args: argparse.Namespace, out: Callable[[str], None] = print) -> int:
    """`build.py publish`: exit code 0 when the site is live, 1 on any error."""
    try:
        publish(args, out)
    except PublishError as exc:
        print(f"publish: {exc}", file=sys.stderr)
        return 1
    return 0


def publish(args: argparse.Namespace, out: Callable[[str], None]) -> None:
    """Read public/ and the bucket, then apply the plan (or only print it, on --dry-run)."""
    import boto3

    if args.stack and args.distribution_id:
        raise PublishError("--distribution-id goes with --bucket; --stack names both")
    local = scan(args.public)
    with aws_errors("starting an AWS session"):
        session = boto3.session.Session(region_name=args.region, profile_name=args.profile)
    if args.stack:
        target = stack_target(session.client("cloudformation"), args.stack)
    else:
        target = Target(args.bucket, args.distribution_id)
    with tempfile.TemporaryDirectory(prefix="publish-") as folder:
        config = inbox_config(target.outputs)
        if config is not None:
            path, md5 = write_config(config, Path(folder))
            local[CONFIG_KEY] = LocalFile(CONFIG_KEY, path, md5)
        apply_or_show(args, local, target, session, out)


def apply_or_show(
    args: argparse.Namespace,
    local: dict[str, LocalFile],
    target: Target,
    session: Any,
    out: Callable[[str], None],
) -> None:
    """Plan against the bucket, then apply the plan (or only print it, on --dry-run)."""
    s3 = session.client("s3")
    remote = aws.remote_objects(s3, target.bucket)
    now, keep_for = datetime.now(UTC), args.keep_assets_for
    old = stale.needs_mark_check(unused_assets(local, remote), remote, now, keep_for)
    marks = aws.read_marks(s3, target.bucket, old)
    # Without a stack to read it from, the inbox's settings in the bucket stay as they are.
    keep = frozenset() if CONFIG_KEY in local else frozenset({CONFIG_KEY})
    plan = make_plan(local, remote, now=now, keep_for=keep_for, marks=marks, keep=keep)
    for line in describe(plan):
        out(line)
    invalidation = None
    if not args.dry_run:
        invalidation = apply(plan, target, s3, session.client("cloudfront"))
    out(summary(plan, target, invalidation, dry_run=args.dry_run))


def summary(plan: Plan, target: Target, invalidation: str | None, *, dry_run: bool) -> str:
    """The closing line."""
    where = f"s3://{target.bucket}"
    unused = f", leave {len(plan.kept)} unused asset(s)" if plan.kept else ""
    if dry_run:
        return (
            f"dry run: would upload {len(plan.uploads)}, delete {len(plan.deletes)}{unused},"
            f" keep {plan.unchanged} in {where}; nothing was changed"
        )
    done = f"uploaded {len(plan.uploads)}, deleted {len(plan.deletes)}{unused}"
    done += f", {plan.unchanged} unchanged in {where}"
    if invalidation:
        return f"{done}; invalidation {invalidation} of {len(plan.invalidation)} path(s)"
    if plan.invalidation:
        return f"{done}; no distribution given, so nothing was invalidated"
    return f"{done}; nothing to invalidate"
