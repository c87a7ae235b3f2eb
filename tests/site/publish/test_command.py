"""`build.py publish` against moto in server mode (S3, CloudFront, CloudFormation)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from sitegen.errors import PublishError
from sitegen.publish import command as publish
from sitegen.publish import stale
from sitegen.publish.stale import Kept, Remote
from sitegen.serve.dynamodb_local import free_port

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudfront import CloudFrontClient
    from mypy_boto3_s3 import S3Client

REGION = "eu-central-1"
SITE = {
    "en/index.html": "<h1>Ask for help</h1>",
    "de/index.html": "<h1>Um Hilfe bitten</h1>",
    "en/404.html": "<h1>Not found</h1>",
    "en/stories/alice-almeida/index.html": "<h1>Alice</h1>",
    "en/feed.xml": "<feed/>",
    "sitemap.xml": "<urlset/>",
    "robots.txt": "User-agent: *\n",
    "site.webmanifest": "{}",
    "favicon.ico": "ico",
    "static/site.3f9a2c1d.css": "body{}",
    "static/site.3f9a2c1d.css.map": "{}",
    "static/app.0123abcd.js": "void 0;",
    "static/img/alice-640.89abcdef01.webp": "webp",
    "images/alice-almeida-afb18eac4d-480.jpg": "jpeg",
    "static/fonts/inter.deadbeef.woff2": "font",
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
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point boto3 at the moto server with fake credentials; reset moto's state."""
    reset = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")  # noqa: S310
    urllib.request.urlopen(reset, timeout=10).close()  # noqa: S310 - moto's local http URL
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return moto_endpoint


@pytest.fixture
def s3(aws: str) -> S3Client:
    """An S3 client on the moto server."""
    client: S3Client = boto3.client("s3", region_name=REGION)
    return client


@pytest.fixture
def cloudfront(aws: str) -> CloudFrontClient:
    """A CloudFront client on the moto server."""
    client: CloudFrontClient = boto3.client("cloudfront", region_name=REGION)
    return client


@pytest.fixture
def bucket(s3: S3Client) -> str:
    """An empty bucket."""
    name = f"site-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    return name


@pytest.fixture
def distribution(cloudfront: CloudFrontClient, bucket: str) -> str:
    """A distribution in front of the bucket; its id."""
    origin = {"Id": "site", "DomainName": f"{bucket}.s3.{REGION}.amazonaws.com"}
    config: Any = {
        "CallerReference": uuid.uuid4().hex,
        "Comment": "test",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [{**origin, "S3OriginConfig": {"OriginAccessIdentity": ""}}],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "site",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
    }
    return cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"]


@pytest.fixture
def public(tmp_path: Path) -> Path:
    """A built site."""
    root = tmp_path / "public"
    for key, text in SITE.items():
        write(root / key, text)
    write(root / ".sitegen-output", "the generator's marker, not part of the site")
    return root


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def cli(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    publish.add_arguments(parser)
    return parser.parse_args(argv)


def run(*argv: str) -> tuple[int, list[str]]:
    lines: list[str] = []
    return publish.run(cli(*argv), out=lines.append), lines


def invalidated(cloudfront: CloudFrontClient, distribution: str) -> list[list[str]]:
    """Paths of each invalidation made so far, in no particular order."""
    batches = [
        cloudfront.get_invalidation(DistributionId=distribution, Id=id_)["Invalidation"]
        for id_ in invalidated_ids(cloudfront, distribution)
    ]
    return [sorted(b["InvalidationBatch"]["Paths"].get("Items", [])) for b in batches]


def keys(s3: S3Client, bucket: str) -> set[str]:
    return {item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def test_first_publish_uploads_every_file_with_its_headers(
    public: Path, bucket: str, distribution: str, s3: S3Client, cloudfront: CloudFrontClient
) -> None:
    code, lines = run(
        "--public", str(public), "--bucket", bucket, "--distribution-id", distribution
    )
    assert code == 0
    assert keys(s3, bucket) == set(SITE)
    expected = {
        "en/index.html": ("text/html; charset=utf-8", "public, max-age=300"),
        "en/feed.xml": ("application/xml; charset=utf-8", "public, max-age=300"),
        "robots.txt": ("text/plain; charset=utf-8", "public, max-age=300"),
        "site.webmanifest": ("application/manifest+json", "public, max-age=300"),
        "favicon.ico": ("image/vnd.microsoft.icon", "public, max-age=86400"),
        "static/site.3f9a2c1d.css": ("text/css; charset=utf-8", publish.IMMUTABLE),
        "static/site.3f9a2c1d.css.map": ("application/json", publish.IMMUTABLE),
        "static/app.0123abcd.js": ("text/javascript; charset=utf-8", publish.IMMUTABLE),
        "static/img/alice-640.89abcdef01.webp": ("image/webp", publish.IMMUTABLE),
        "images/alice-almeida-afb18eac4d-480.jpg": ("image/jpeg", publish.IMMUTABLE),
        "static/fonts/inter.deadbeef.woff2": ("font/woff2", publish.IMMUTABLE),
    }
    for key, (content_type, cache_control) in expected.items():
        head = s3.head_object(Bucket=bucket, Key=key)
        assert (head["ContentType"], head["CacheControl"]) == (content_type, cache_control), key
    body = s3.get_object(Bucket=bucket, Key="de/index.html")["Body"].read()
    assert body == SITE["de/index.html"].encode()
    assert invalidated(cloudfront, distribution) == [
        [
            "/de/",
            "/de/index.html",
            "/en/",
            "/en/404.html",
            "/en/feed.xml",
            "/en/index.html",
            "/en/stories/alice-almeida/",
            "/en/stories/alice-almeida/index.html",
            "/favicon.ico",
            "/robots.txt",
            "/site.webmanifest",
            "/sitemap.xml",
        ]
    ]
    assert lines[-1] == (
        f"uploaded {len(SITE)}, deleted 0, 0 unchanged in s3://{bucket};"
        f" invalidation {invalidated_ids(cloudfront, distribution)[0]} of 12 path(s)"
    )


def invalidated_ids(cloudfront: CloudFrontClient, distribution: str) -> list[str]:
    listing = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]
    return [item["Id"] for item in listing.get("Items", [])]


def test_publishing_again_changes_nothing(
    public: Path, bucket: str, distribution: str, cloudfront: CloudFrontClient
) -> None:
    args = ("--public", str(public), "--bucket", bucket, "--distribution-id", distribution)
    assert run(*args)[0] == 0
    code, lines = run(*args)
    assert code == 0
    assert lines == [
        f"uploaded 0, deleted 0, {len(SITE)} unchanged in s3://{bucket}; nothing to invalidate"
    ]
    assert len(invalidated(cloudfront, distribution)) == 1


def test_only_changes_are_uploaded_stale_files_deleted_and_changed_pages_invalidated(
    public: Path, bucket: str, distribution: str, s3: S3Client, cloudfront: CloudFrontClient
) -> None:
    args: tuple[str, ...] = ("--public", str(public), "--bucket", bucket)
    args += ("--distribution-id", distribution, "--keep-assets-for", "0")
    run(*args)
    before = s3.head_object(Bucket=bucket, Key="de/index.html")["ETag"]
    write(public / "en/index.html", "<h1>Ask for help, today</h1>")
    (public / "static/site.3f9a2c1d.css").unlink()
    write(public / "static/site.77aa88bb.css", "body{color:red}")
    (public / "en/stories/alice-almeida/index.html").unlink()
    code, lines = run(*args)
    assert code == 0
    assert lines == [
        "upload  static/site.77aa88bb.css  (text/css; charset=utf-8; "
        "public, max-age=31536000, immutable)",
        "upload  en/index.html  (text/html; charset=utf-8; public, max-age=300)",
        "delete  en/stories/alice-almeida/index.html",
        "delete  static/site.3f9a2c1d.css",
        "invalidate  /en/ /en/index.html /en/stories/alice-almeida/ "
        "/en/stories/alice-almeida/index.html",
        lines[-1],
    ]
    assert lines[-1].startswith(f"uploaded 2, deleted 2, {len(SITE) - 3} unchanged")
    assert "static/site.77aa88bb.css" in keys(s3, bucket)
    assert "static/site.3f9a2c1d.css" not in keys(s3, bucket)
    assert s3.head_object(Bucket=bucket, Key="de/index.html")["ETag"] == before
    batches = invalidated(cloudfront, distribution)
    assert len(batches) == 2
    assert [
        "/en/",
        "/en/index.html",
        "/en/stories/alice-almeida/",
        "/en/stories/alice-almeida/index.html",
    ] in batches


def test_dry_run_lists_the_changes_and_makes_none(
    public: Path, bucket: str, distribution: str, s3: S3Client, cloudfront: CloudFrontClient
) -> None:
    s3.put_object(Bucket=bucket, Key="old/index.html", Body=b"old")
    code, lines = run(
        "--public", str(public), "--bucket", bucket, "--distribution-id", distribution, "--dry-run"
    )
    assert code == 0
    assert len([line for line in lines if line.startswith("upload  ")]) == len(SITE)
    assert "delete  old/index.html" in lines
    assert any(line.startswith("invalidate  /de/ ") and "/old/" in line for line in lines)
    assert lines[-1] == (
        f"dry run: would upload {len(SITE)}, delete 1, keep 0 in s3://{bucket}; nothing was changed"
    )
    assert keys(s3, bucket) == {"old/index.html"}
    assert invalidated(cloudfront, distribution) == []


def test_stack_outputs_name_the_bucket_and_the_distribution(
    public: Path, bucket: str, distribution: str, s3: S3Client, cloudfront: CloudFrontClient
) -> None:
    cloudformation: CloudFormationClient = boto3.client("cloudformation", region_name=REGION)
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {
            "SiteBucketName": {"Value": bucket},
            "DistributionId": {"Value": distribution},
        },
    }
    cloudformation.create_stack(StackName="ask-for-help", TemplateBody=json.dumps(template))
    code, lines = run("--public", str(public), "--stack", "ask-for-help")
    assert code == 0, lines
    assert keys(s3, bucket) == set(SITE)
    assert len(invalidated(cloudfront, distribution)) == 1


def test_the_inbox_gets_its_sign_in_settings_from_the_stack(
    public: Path, bucket: str, distribution: str, s3: S3Client
) -> None:
    cloudformation: CloudFormationClient = boto3.client("cloudformation", region_name=REGION)
    outputs = {
        "SiteBucketName": bucket,
        "DistributionId": distribution,
        "ModeratorsRegion": "eu-central-1",
        "ModeratorsUserPoolId": "eu-central-1_Abc123",
        "ModeratorsUserPoolClientId": "client123",
    }
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {name: {"Value": value} for name, value in outputs.items()},
    }
    cloudformation.create_stack(StackName="with-inbox", TemplateBody=json.dumps(template))
    code, lines = run("--public", str(public), "--stack", "with-inbox")
    assert code == 0, lines
    assert keys(s3, bucket) == {*SITE, "admin/config.json"}
    stored = s3.get_object(Bucket=bucket, Key="admin/config.json")
    assert stored["ContentType"] == "application/json"
    assert json.loads(stored["Body"].read()) == {
        "region": "eu-central-1",
        "userPoolId": "eu-central-1_Abc123",
        "clientId": "client123",
        "cognitoEndpoint": "https://cognito-idp.eu-central-1.amazonaws.com/",
    }
    # Published by bucket alone, the site leaves the settings it cannot know as they are.
    code, lines = run("--public", str(public), "--bucket", bucket)
    assert code == 0, lines
    assert "admin/config.json" in keys(s3, bucket)


def test_a_stack_without_the_outputs_is_refused(
    public: Path, aws: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cloudformation: CloudFormationClient = boto3.client("cloudformation", region_name=REGION)
    template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    cloudformation.create_stack(StackName="other", TemplateBody=json.dumps(template))
    code, _ = run("--public", str(public), "--stack", "other")
    assert code == 1
    assert capsys.readouterr().err == (
        "publish: stack other has no output SiteBucketName, DistributionId; is it this site's?\n"
    )


def test_a_missing_stack_is_an_error(
    public: Path, aws: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run("--public", str(public), "--stack", "nowhere")
    assert code == 1
    assert capsys.readouterr().err.startswith("publish: reading stack nowhere: ValidationError: ")


def test_a_missing_bucket_is_an_error(
    public: Path, aws: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run("--public", str(public), "--bucket", "no-such-bucket-here")
    assert code == 1
    assert capsys.readouterr().err.startswith(
        "publish: listing bucket no-such-bucket-here: NoSuchBucket: "
    )


def test_missing_credentials_are_explained(
    public: Path, bucket: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    code, _ = run("--public", str(public), "--bucket", bucket)
    assert code == 1
    assert capsys.readouterr().err == (
        f"publish: listing bucket {bucket}: no AWS credentials found;"
        " configure them with `aws configure`, AWS_PROFILE or --profile\n"
    )


def test_files_of_unknown_type_stop_the_publish_before_any_upload(
    public: Path, bucket: str, s3: S3Client, capsys: pytest.CaptureFixture[str]
) -> None:
    write(public / "static/photo.avif", "avif")
    write(public / "CNAME", "example.org")
    code, _ = run("--public", str(public), "--bucket", bucket)
    assert code == 1
    assert capsys.readouterr().err == (
        "publish: 2 file(s) with no known Content-Type: CNAME, static/photo.avif;"
        " add the extension to CONTENT_TYPES in sitegen/publish/command.py\n"
    )
    assert keys(s3, bucket) == set()


@pytest.mark.parametrize("make", [False, True])
def test_a_missing_or_empty_public_folder_is_refused(
    tmp_path: Path, bucket: str, make: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "public"
    if make:
        folder.mkdir()
    code, _ = run("--public", str(folder), "--bucket", bucket)
    assert code == 1
    state = "is empty" if make else "does not exist"
    assert capsys.readouterr().err == (
        f"publish: {folder} {state}; run `python build.py build` first\n"
    )


def test_distribution_id_and_stack_together_are_refused(
    public: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run("--public", str(public), "--stack", "s", "--distribution-id", "E1")
    assert code == 1
    assert "--distribution-id goes with --bucket" in capsys.readouterr().err


def test_stack_or_bucket_is_required() -> None:
    with pytest.raises(SystemExit):
        cli("--public", "public")


@pytest.mark.parametrize(
    ("key", "content_type", "cache_control"),
    [
        ("de/index.html", "text/html; charset=utf-8", publish.SHORT),
        ("pl/feed.xml", "application/xml; charset=utf-8", publish.SHORT),
        ("data/search.json", "application/json", publish.SHORT),
        ("INDEX.HTML", "text/html; charset=utf-8", publish.SHORT),
        ("images/logo.svg", "image/svg+xml", publish.DAY),
        ("images/photo.jpeg", "image/jpeg", publish.DAY),
        ("images/photo.jpg", "image/jpeg", publish.DAY),
        ("images/photo.png", "image/png", publish.DAY),
        ("static/site.css", "text/css; charset=utf-8", publish.DAY),
        ("static/app.js.map", "application/json", publish.DAY),
        ("static/hamburg-street-experiment.jpg", "image/jpeg", publish.DAY),
        ("static/icon.deadbee.png", "image/png", publish.DAY),
        ("static/icon-0123456789abcdef.png", "image/png", publish.IMMUTABLE),
        ("static/icons/favicon.35c6af46bf.svg", "image/svg+xml", publish.IMMUTABLE),
        ("images/grimsby-darren-6bbdaddee4-960.webp", "image/webp", publish.IMMUTABLE),
        ("images/grimsby-darren.webp", "image/webp", publish.DAY),
        ("assets/site.3f9a2c1d.css", "text/css; charset=utf-8", publish.DAY),
    ],
)
def test_headers_come_from_the_tables(key: str, content_type: str, cache_control: str) -> None:
    assert publish.headers_for(key) == (content_type, cache_control)


def test_a_name_without_extension_has_no_type() -> None:
    with pytest.raises(
        PublishError, match=r"^LICENSE: no Content-Type is known for 'a bare name'$"
    ):
        publish.headers_for("LICENSE")


def test_invalidation_paths_cover_directory_forms_and_are_url_encoded() -> None:
    paths = publish.invalidation_paths(["index.html", "pl/historie/żółw/index.html", "a b.xml"])
    assert paths == (
        "/",
        "/a%20b.xml",
        "/index.html",
        "/pl/historie/%C5%BC%C3%B3%C5%82w/",
        "/pl/historie/%C5%BC%C3%B3%C5%82w/index.html",
    )


def test_many_changed_pages_are_invalidated_with_one_wildcard() -> None:
    pages = [f"en/stories/s{i}/index.html" for i in range(51)]
    assert publish.invalidation_paths(pages) == ("/*",)
    assert len(publish.invalidation_paths(pages[:50])) == 100


def test_the_plan_uploads_assets_before_pages(tmp_path: Path) -> None:
    local = {
        key: publish.LocalFile(key, tmp_path / key, "0" * 32)
        for key in ["a/index.html", "static/z.0123abcd.css", "b.xml", "index.html"]
    }
    now = datetime.now(UTC)
    remote = {"b.xml": Remote("0" * 32, now), "gone.0123abcd.css": Remote("1" * 32, now)}
    plan = publish.make_plan(local, remote, now=now)
    assert [u.file.key for u in plan.uploads] == [
        "static/z.0123abcd.css",
        "a/index.html",
        "index.html",
    ]
    assert plan.deletes == ("gone.0123abcd.css",)
    assert plan.unchanged == 1
    assert plan.invalidation == ("/", "/a/", "/a/index.html", "/gone.0123abcd.css", "/index.html")


def test_build_py_publish_runs_the_command(public: Path, bucket: str, aws: str) -> None:
    root = Path(__file__).resolve().parents[3]
    command = [sys.executable, str(root / "build.py"), "publish", "--public", str(public)]
    result = subprocess.run(
        [*command, "--bucket", bucket, "--dry-run"],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ.copy(),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        f"dry run: would upload {len(SITE)}, delete 0, keep 0 in s3://{bucket}; nothing was changed"
    )


def test_a_replaced_asset_stays_for_pages_still_cached_and_dry_run_says_so(
    public: Path, bucket: str, s3: S3Client
) -> None:
    args = ("--public", str(public), "--bucket", bucket)
    run(*args)
    (public / "static/site.3f9a2c1d.css").unlink()
    write(public / "static/site.77aa88bb.css", "body{color:red}")
    (public / "en/stories/alice-almeida/index.html").unlink()
    code, lines = run(*args, "--dry-run")
    assert code == 0
    kept = [line for line in lines if line.startswith("keep  ")]
    assert kept == [lines[2]]
    assert kept[0].startswith("keep  static/site.3f9a2c1d.css  (unused; deleted by a publish from ")
    assert lines[-1] == (
        f"dry run: would upload 1, delete 1, leave 1 unused asset(s), keep {len(SITE) - 2}"
        f" in s3://{bucket}; nothing was changed"
    )
    code, lines = run(*args)
    assert code == 0
    assert "delete  en/stories/alice-almeida/index.html" in lines
    assert lines[-1].startswith("uploaded 1, deleted 1, leave 1 unused asset(s), ")
    assert {"static/site.3f9a2c1d.css", "static/site.77aa88bb.css"} <= keys(s3, bucket)
    assert "en/stories/alice-almeida/index.html" not in keys(s3, bucket)
    # Uploaded moments ago, it is not marked: its LastModified already says how old it is.
    assert s3.head_object(Bucket=bucket, Key="static/site.3f9a2c1d.css")["Metadata"] == {}


def test_an_old_asset_is_marked_when_it_falls_out_of_use_and_deleted_after_the_grace_period(
    public: Path, bucket: str, s3: S3Client
) -> None:
    args = ("--public", str(public), "--bucket", bucket, "--keep-assets-for", "1s")
    run(*args)
    long_ago = "2020-01-01T00:00:00+00:00"
    s3.put_object(
        Bucket=bucket,
        Key="static/old.0badc0de.js",
        Body=b"old",
        Metadata={stale.MARK: long_ago},
        ContentType="text/javascript; charset=utf-8",
    )
    (public / "static/app.0123abcd.js").unlink()
    write(public / "static/app.4567cdef.js", "void 1;")
    time.sleep(1.2)
    before = s3.head_object(Bucket=bucket, Key="static/app.0123abcd.js")
    code, lines = run(*args)
    assert code == 0
    assert "delete  static/old.0badc0de.js" in lines
    assert any(line.startswith("keep  static/app.0123abcd.js  (unused; ") for line in lines)
    assert "static/old.0badc0de.js" not in keys(s3, bucket)
    after = s3.head_object(Bucket=bucket, Key="static/app.0123abcd.js")
    since = datetime.fromisoformat(after["Metadata"][stale.MARK])
    assert abs(datetime.now(UTC) - since) < timedelta(seconds=30)
    assert after["LastModified"] > before["LastModified"]
    assert (after["ContentType"], after["CacheControl"]) == (
        "text/javascript; charset=utf-8",
        publish.IMMUTABLE,
    )
    assert s3.get_object(Bucket=bucket, Key="static/app.0123abcd.js")["Body"].read() == b"void 0;"


def test_a_damaged_mark_is_a_clear_error(public: Path, bucket: str, s3: S3Client) -> None:
    s3.put_object(Bucket=bucket, Key="static/x.0badc0de.css", Body=b"", Metadata={stale.MARK: "?"})
    time.sleep(1.2)
    code, _ = run("--public", str(public), "--bucket", bucket, "--keep-assets-for", "1s")
    assert code == 1


NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("uploaded", "marked", "expected"),
    [
        (NOW - HOUR, None, Kept("static/a.0badc0de.css", NOW + 23 * HOUR)),
        (NOW - 30 * HOUR, None, Kept("static/a.0badc0de.css", NOW + 24 * HOUR, NOW)),
        (NOW - 30 * HOUR, NOW - 30 * HOUR, "delete"),
        (NOW - 24 * HOUR, NOW - 24 * HOUR, "delete"),
        (NOW - 30 * HOUR, NOW - 2 * HOUR, Kept("static/a.0badc0de.css", NOW + 22 * HOUR)),
    ],
    ids=["recent", "old-unmarked", "old-marked", "just-due", "marked-recently"],
)
def test_unused_assets_go_a_grace_period_after_they_fell_out_of_use(
    uploaded: datetime, marked: datetime | None, expected: Kept | str
) -> None:
    key = "static/a.0badc0de.css"
    remote = {key: Remote("0" * 32, uploaded), "en/old/index.html": Remote("1" * 32, uploaded)}
    local = {"index.html": publish.LocalFile("index.html", Path("index.html"), "2" * 32)}
    assert stale.needs_mark_check([key], remote, NOW, 24 * HOUR) == (
        [key] if NOW - uploaded >= 24 * HOUR else []
    )
    marks = {key: marked} if NOW - uploaded >= 24 * HOUR else {}
    plan = publish.make_plan(local, remote, now=NOW, keep_for=24 * HOUR, marks=marks)
    if expected == "delete":
        assert (plan.deletes, plan.kept) == (("en/old/index.html", key), ())
    else:
        assert (plan.deletes, plan.kept) == (("en/old/index.html",), (expected,))
    assert plan.invalidation == ("/", "/en/old/", "/en/old/index.html", "/index.html")


def test_keeping_for_zero_deletes_unused_assets_at_once() -> None:
    remote = {"images/a-0123456789-480.webp": Remote("0" * 32, NOW)}
    assert stale.needs_mark_check(remote, remote, NOW, timedelta(0)) == []
    plan = publish.make_plan({}, remote, now=NOW, keep_for=timedelta(0))
    assert (plan.deletes, plan.kept) == (("images/a-0123456789-480.webp",), ())


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("86400", 86400), ("3600s", 3600), ("90m", 5400), ("24h", 86400), ("1d", 86400), ("0", 0)],
)
def test_durations_are_seconds_or_carry_a_unit(text: str, seconds: int) -> None:
    assert stale.parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "1w", "-1h", "a day", "1.h"])
def test_a_bad_duration_is_refused_by_the_command_line(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        cli("--bucket", "b", f"--keep-assets-for={text}")
    assert "is not a duration; give seconds (86400) or hours (24h)" in capsys.readouterr().err
