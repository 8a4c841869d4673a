"""Publishing real Sphinx builds to a real S3 API: moto's server on 127.0.0.1, reached through s3fs.

The ``s3`` fixture sets the credentials and the endpoint of the session's ``moto_server`` in the
environment, where boto3 and s3fs read them, exactly as a CI job would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from airflow_catalog.cli import main as cli
from airflow_catalog.publish.merge import PublishError, previous_catalog, publish_site, unpublish_version
from airflow_catalog.publish.object_store import Store, StoreError, is_store_url, publish_to_store
from airflow_catalog.publish.versions import PublishedVersion, Versions

#: ``versioned_site`` (tests/conftest.py): the tiny site's pages built as a version, shared by the session.
BuildSite = Callable[..., Path]
PUBLISH = [sys.executable, "-m", "airflow_catalog", "publish"]


@pytest.fixture(scope="module")
def s3(moto_server: str) -> Iterator[object]:
    """The session's S3 API (tests/conftest.py) as a CI job sees it; yields a boto3 client."""
    credentials = {
        "AWS_ACCESS_KEY_ID": "test-key",
        "AWS_SECRET_ACCESS_KEY": "test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": moto_server,
    }
    with pytest.MonkeyPatch.context() as environment:
        for name, value in credentials.items():
            environment.setenv(name, value)
        import boto3

        yield boto3.client("s3")


@pytest.fixture
def bucket(s3: object, request: pytest.FixtureRequest) -> str:
    """An empty bucket of its own for each test; returns the tree's URL inside it."""
    name = "docs-" + request.node.name.lower().replace("_", "-")[:50].strip("-")
    s3.create_bucket(Bucket=name)  # type: ignore[attr-defined]
    return f"s3://{name}/site"


def objects(s3: object, url: str) -> dict[str, str]:
    """Every key below the tree with its ETag."""
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    found: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):  # type: ignore[attr-defined]
        found.update({item["Key"][len(prefix) + 1 :]: item["ETag"] for item in page.get("Contents", [])})
    return found


def read(s3: object, url: str, key: str) -> bytes:
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    return s3.get_object(Bucket=bucket, Key=f"{prefix}/{key}")["Body"].read()  # type: ignore[attr-defined,no-any-return]


def listed(s3: object, url: str) -> dict[str, list[str]]:
    """versions.json as version → aliases."""
    return {entry["version"]: entry["aliases"] for entry in json.loads(read(s3, url, "versions.json"))}


def contents(s3: object, url: str) -> dict[str, bytes]:
    """Every key below the tree with its bytes."""
    return {key: read(s3, url, key) for key in objects(s3, url)}


def with_a_page_s3_refuses(html: Path, tmp_path: Path) -> Path:
    """A copy of a built site with a page whose name is not UTF-8.

    Such a name can live on disk but cannot be an S3 key: the request for it fails after the files
    before it were uploaded.
    """
    copy = tmp_path / "html"
    shutil.copytree(html, copy)
    with open(os.fsencode(copy) + b"/zz\xff.html", "wb") as page:
        page.write(b"<html></html>")
    return copy


def files_of(html: Path) -> set[str]:
    return {path.relative_to(html).as_posix() for path in html.rglob("*") if path.is_file()}


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("s3://bucket/docs", True),
        ("gs://bucket", True),
        ("memory://site", True),
        ("https://github.com/example/etl-platform.git", False),
        ("ssh://git@github.com/example/etl-platform.git", False),
        ("git@github.com:example/etl-platform.git", False),
        ("file:///srv/gh-pages.git", False),
        ("../gh-pages", False),
        ("origin", False),
    ],
)
def test_fsspec_urls_are_object_stores_and_git_urls_are_not(target: str, expected: bool) -> None:
    assert is_store_url(target) is expected


def verb_arguments(
    verb: str, versioned_site: Callable[[str], Path], output: Path, target: str, unpublished: str
) -> list[str]:
    """The command line of one publishing verb aimed at ``target`` (the version published is 1.2.0).

    :param unpublished: the version ``unpublish`` is asked to remove.
    """
    return {
        "publish": [
            "publish",
            "--site",
            str(versioned_site("1.2.0")),
            "--version",
            "1.2.0",
            "--target",
            target,
        ],
        "unpublish": ["unpublish", unpublished, "--target", target],
        "previous": ["previous", "--version", "1.2.0", "--output", str(output), "--target", target],
    }[verb]


def test_two_versions_land_side_by_side_with_aliases_as_redirect_pages(
    s3: object, bucket: str, versioned_site: BuildSite
) -> None:
    publish_site(versioned_site("1.1.0"), "1.1.0", bucket, backoff=0)
    publish_site(versioned_site("1.2.0"), "1.2.0", bucket, backoff=0)

    assert listed(s3, bucket) == {"1.2.0": ["stable", "latest"], "1.1.0": []}
    keys = objects(s3, bucket)
    assert {key[len("1.2.0/") :] for key in keys if key.startswith("1.2.0/")} == files_of(
        versioned_site("1.2.0")
    )
    assert {key[len("1.1.0/") :] for key in keys if key.startswith("1.1.0/")} == files_of(
        versioned_site("1.1.0")
    )
    # An alias holds one small redirect page per page of its version, and nothing else.
    html_pages = {key for key in files_of(versioned_site("1.2.0")) if key.endswith(".html")}
    assert {key[len("stable/") :] for key in keys if key.startswith("stable/")} == html_pages
    redirect = read(s3, bucket, "stable/new-in-1-2.html").decode()
    assert 'url=../1.2.0/new-in-1-2.html"' in redirect and "location.hash" in redirect
    assert len(redirect) < 600
    assert "url=stable/" in read(s3, bucket, "index.html").decode()
    head = s3.head_object(Bucket=bucket[5:].split("/")[0], Key="site/1.2.0/guide.html")  # type: ignore[attr-defined]
    assert head["ContentType"] == "text/html"


def test_republishing_replaces_only_that_version_and_drops_its_stale_pages(
    s3: object, bucket: str, versioned_site: BuildSite
) -> None:
    publish_site(versioned_site("1.1.0"), "1.1.0", bucket, backoff=0)
    publish_site(versioned_site("1.2.0"), "1.2.0", bucket, backoff=0)
    before = objects(s3, bucket)

    republished = versioned_site("1.2.0", guide="Fixed after the release.", new_pages=False)
    publish_site(republished, "1.2.0", bucket, backoff=0)

    after = objects(s3, bucket)
    assert {k: v for k, v in after.items() if k.startswith("1.1.0/")} == {
        k: v for k, v in before.items() if k.startswith("1.1.0/")
    }
    assert b"Fixed after the release." in read(s3, bucket, "1.2.0/guide.html")
    # The page the new build no longer has is gone, from the version and from its alias.
    assert "1.2.0/new-in-1-2.html" in before and "1.2.0/new-in-1-2.html" not in after
    assert "stable/new-in-1-2.html" in before and "stable/new-in-1-2.html" not in after
    assert {k[len("1.2.0/") :] for k in after if k.startswith("1.2.0/")} == files_of(republished)


def test_unpublishing_moves_the_aliases_and_deletes_the_folder(
    s3: object, bucket: str, versioned_site: BuildSite
) -> None:
    publish_site(versioned_site("1.1.0"), "1.1.0", bucket, backoff=0)
    publish_site(versioned_site("1.2.0"), "1.2.0", bucket, backoff=0)
    unpublish_version("1.2.0", bucket, backoff=0)

    assert listed(s3, bucket) == {"1.1.0": ["stable", "latest"]}
    keys = objects(s3, bucket)
    assert not any(key.startswith("1.2.0/") for key in keys)
    assert "stable/new-in-1-2.html" not in keys  # 1.1.0 has no such page
    assert 'url=../1.1.0/guide.html"' in read(s3, bucket, "stable/guide.html").decode()


def test_a_file_that_cannot_be_read_stops_the_publish_before_anything_changes(
    s3: object, bucket: str, versioned_site: BuildSite, tmp_path: Path
) -> None:
    publish_site(versioned_site("1.1.0"), "1.1.0", bucket, backoff=0)
    before = contents(s3, bucket)
    broken = tmp_path / "html"
    shutil.copytree(versioned_site("1.2.0"), broken)
    (broken / "_static" / "gone.css").symlink_to("nowhere.css")  # inside the site, but missing

    with pytest.raises(StoreError, match=r"cannot read .*gone\.css.*nothing was uploaded"):
        publish_site(broken, "1.2.0", bucket, backoff=0)
    assert contents(s3, bucket) == before


def test_an_upload_refused_half_way_takes_the_new_version_back(
    s3: object, bucket: str, versioned_site: BuildSite, tmp_path: Path
) -> None:
    publish_site(versioned_site("1.1.0"), "1.1.0", bucket, backoff=0)
    before = contents(s3, bucket)
    broken = with_a_page_s3_refuses(versioned_site("1.2.0"), tmp_path)

    with pytest.raises(StoreError, match=r"uploading 1\.2\.0 .* failed half-way.*upload was removed"):
        publish_site(broken, "1.2.0", bucket, backoff=0)
    assert contents(s3, bucket) == before


def test_a_republish_refused_half_way_deletes_nothing_and_keeps_versions_json(
    s3: object, bucket: str, versioned_site: BuildSite, tmp_path: Path
) -> None:
    publish_site(versioned_site("1.2.0"), "1.2.0", bucket, backoff=0)
    before = objects(s3, bucket)
    listing = read(s3, bucket, "versions.json")
    broken = with_a_page_s3_refuses(versioned_site("1.2.0", new_pages=False), tmp_path)

    with pytest.raises(StoreError, match=r"failed half-way.*publish again to finish the republish"):
        publish_site(broken, "1.2.0", bucket, backoff=0)
    # Pages may be new or old, but none is gone: not even the one the new build no longer has.
    assert set(objects(s3, bucket)) == set(before)
    assert read(s3, bucket, "versions.json") == listing


def test_a_lost_race_is_retried_on_top_of_the_winner(
    s3: object, bucket: str, versioned_site: BuildSite
) -> None:
    publish_site(versioned_site("1.1.0"), "1.1.0", bucket, backoff=0)
    calls = 0

    def change(old: Versions) -> Versions:
        # Between this publisher's read of versions.json and its write, another release lands.
        nonlocal calls
        calls += 1
        if calls == 1:
            publish_site(versioned_site("1.2.0"), "1.2.0", bucket, backoff=0)
        return old.with_version(PublishedVersion.new("2.0.0rc1", date="2026-11-25T00:00:00Z"))

    outcome = publish_to_store(bucket, "2.0.0rc1", change, versioned_site("2.0.0rc1"), attempts=3, backoff=0)

    assert outcome.attempts == 2
    assert listed(s3, bucket) == {"2.0.0rc1": ["latest"], "1.2.0": ["stable"], "1.1.0": []}
    assert 'url=../1.2.0/guide.html"' in read(s3, bucket, "stable/guide.html").decode()
    assert 'url=../2.0.0rc1/guide.html"' in read(s3, bucket, "latest/guide.html").decode()


def test_losing_every_race_leaves_versions_json_without_the_change(
    s3: object, bucket: str, versioned_site: BuildSite
) -> None:
    publish_site(versioned_site("1.1.0"), "1.1.0", bucket, backoff=0)
    store = Store(bucket)

    def change(old: Versions) -> Versions:
        listing, token = store.read("versions.json")
        assert listing is not None and store.replace("versions.json", listing + b" ", token)
        return old.with_version(PublishedVersion.new("1.2.0", date="2026-11-25T00:00:00Z"))

    with pytest.raises(StoreError, match=r"replaced by someone else 3 times in a row"):
        publish_to_store(bucket, "1.2.0", change, versioned_site("1.2.0"), attempts=3, backoff=0)
    assert listed(s3, bucket) == {"1.1.0": ["stable", "latest"]}


def test_two_publishes_racing_in_two_processes_both_land(
    s3: object, bucket: str, versioned_site: BuildSite
) -> None:
    publish_site(versioned_site("1.1.0"), "1.1.0", bucket, backoff=0)
    processes = [
        subprocess.Popen(
            [*PUBLISH, "--site", str(versioned_site(version)), "--version", version, "--target", bucket],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for version in ("1.2.0", "2.0.0rc1")
    ]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    assert listed(s3, bucket) == {"2.0.0rc1": ["latest"], "1.2.0": ["stable"], "1.1.0": []}
    assert 'url=../1.2.0/guide.html"' in read(s3, bucket, "stable/guide.html").decode()


def test_the_command_line_and_the_previous_catalog_read_the_store(
    s3: object, bucket: str, versioned_site: BuildSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    older = tmp_path / "1.1.0"
    shutil.copytree(versioned_site("1.1.0"), older)
    (older / "catalog.json").write_text('{"schema_version": 1}')
    assert cli(["publish", "--site", str(older), "--version", "1.1.0", "--target", bucket]) == 0
    assert "Published 1.1.0 to s3://" in capsys.readouterr().out

    output = tmp_path / "previous.json"
    assert previous_catalog(bucket, "1.2.0", output) == "1.1.0"
    assert output.read_text() == '{"schema_version": 1}'
    assert previous_catalog(bucket, "1.0.0", tmp_path / "none.json") is None


def test_a_store_without_conditional_writes_gets_the_same_tree(
    versioned_site: BuildSite, tmp_path: Path
) -> None:
    import fsspec

    url = f"memory://{tmp_path.name}/site"
    publish_site(versioned_site("1.1.0"), "1.1.0", url, backoff=0)
    publish_site(versioned_site("1.2.0"), "1.2.0", url, backoff=0)
    unpublish_version("1.1.0", url, backoff=0)

    fs = fsspec.filesystem("memory")
    root = f"/{tmp_path.name}/site"
    assert [entry["version"] for entry in json.loads(fs.cat_file(f"{root}/versions.json"))] == ["1.2.0"]
    assert not fs.exists(f"{root}/1.1.0")
    assert b"url=../1.2.0/guide.html" in fs.cat_file(f"{root}/stable/guide.html")
    assert Store(url).conditional is False


def test_an_unknown_store_says_which_back_end_to_install(versioned_site: BuildSite) -> None:
    with pytest.raises(StoreError, match=r"cannot open gs://bucket/docs: .*install the fsspec back end"):
        publish_site(versioned_site("1.2.0"), "1.2.0", "gs://bucket/docs", backoff=0)


# --- nothing lost, nothing leaked (issue 13) ---------------------------------------------------------------


def buckets(s3: object) -> list[str]:
    return sorted(item["Name"] for item in s3.list_buckets()["Buckets"])  # type: ignore[attr-defined]


@pytest.mark.parametrize("verb", ["publish", "unpublish", "previous"])
def test_a_typo_in_the_bucket_is_an_error_that_suggests_the_bucket(
    verb: str, s3: object, versioned_site: BuildSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: publish said "uploading failed half-way", previous printed nothing and exited 0."""
    real = f"etl-docs-{verb}"
    s3.create_bucket(Bucket=real)  # type: ignore[attr-defined]
    publish_site(versioned_site("1.1.0"), "1.1.0", f"s3://{real}/site", backoff=0)
    before, known = contents(s3, f"s3://{real}/site"), buckets(s3)
    typo = f"s3://etl-dosc-{verb}/site"
    args = verb_arguments(verb, versioned_site, tmp_path / "p.json", typo, unpublished="1.1.0")

    assert cli(args) == 1

    assert capsys.readouterr().err == (
        f"error: the bucket 'etl-dosc-{verb}' of {typo} does not exist (did you mean {real!r}?): check the "
        "URL; the publisher never creates a bucket, create it first if it is a new one\n"
    )
    assert buckets(s3) == known and contents(s3, f"s3://{real}/site") == before
    assert not (tmp_path / "p.json").exists()


@pytest.mark.parametrize("verb", ["publish", "unpublish", "previous"])
def test_a_prefix_of_other_objects_is_refused_and_left_as_it_was(
    verb: str, s3: object, versioned_site: BuildSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: publish wrote index.html and 404.html over the objects already there."""
    name = f"etl-assets-{verb}"
    s3.create_bucket(Bucket=name)  # type: ignore[attr-defined]
    for key, body in {"site/index.html": b"<p>my own page</p>", "site/notes.txt": b"my notes"}.items():
        s3.put_object(Bucket=name, Key=key, Body=body)  # type: ignore[attr-defined]
    url = f"s3://{name}/site"
    before = contents(s3, url)
    args = verb_arguments(verb, versioned_site, tmp_path / "p.json", url, unpublished="1.2.0")

    assert cli(args) == 1

    assert capsys.readouterr().err == (
        f"error: {url} holds index.html, notes.txt but no versions.json, so it is not a published tree: the "
        "publisher writes index.html and 404.html at the top of its tree, so it uses only a prefix it "
        f"published to or an empty one. Pass an empty prefix, e.g. {url}/site\n"
    )
    assert contents(s3, url) == before


def test_unpublishing_from_an_empty_prefix_says_so(
    s3: object, bucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(["unpublish", "1.2.0", "--target", bucket]) == 1
    assert capsys.readouterr().err == (
        f"error: {bucket} holds nothing, so no version is published there: check the URL\n"
    )
    assert objects(s3, bucket) == {}


def test_a_site_that_links_outside_itself_uploads_nothing(
    s3: object, bucket: str, versioned_site: BuildSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: the store read through the link and uploaded the build machine's file as a page asset."""
    secret = tmp_path / "credentials"
    secret.write_text("aws_secret_access_key = hunter2\n")
    site = tmp_path / "html"
    shutil.copytree(versioned_site("1.2.0"), site)
    (site / "_static" / "extra.txt").symlink_to(secret)
    args = ["publish", "--site", str(site), "--version", "1.2.0", "--target", bucket]

    assert cli(args) == 1

    err = capsys.readouterr().err
    assert f"error: {site / '_static' / 'extra.txt'} is a link to {secret}, outside the site" in err
    assert objects(s3, bucket) == {}


@pytest.mark.parametrize("verb", ["publish", "previous"])
def test_a_typo_in_the_prefix_is_refused_with_the_tree_it_meant(
    verb: str, s3: object, versioned_site: BuildSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: publish started a second tree at the misspelt prefix; previous found nothing."""
    name = f"etl-prefix-{verb}"
    s3.create_bucket(Bucket=name)  # type: ignore[attr-defined]
    publish_site(versioned_site("1.1.0"), "1.1.0", f"s3://{name}/site", backoff=0)
    before = objects(s3, f"s3://{name}")
    typo = f"s3://{name}/stie"
    args = verb_arguments(verb, versioned_site, tmp_path / "p.json", typo, unpublished="1.2.0")

    assert cli(args) == 1

    assert capsys.readouterr().err == (
        f"error: {typo} holds nothing: did you mean s3://{name}/site? To start a new tree there, write a "
        f"versions.json holding an empty list ([]) at its top first (for S3: echo '[]' | aws s3 cp - "
        f"{typo}/versions.json)\n"
    )
    assert objects(s3, f"s3://{name}") == before and not (tmp_path / "p.json").exists()


def test_a_new_tree_beside_one_of_a_close_name_is_started_as_the_refusal_says(
    s3: object, versioned_site: BuildSite
) -> None:
    s3.create_bucket(Bucket="etl-two-trees")  # type: ignore[attr-defined]
    publish_site(versioned_site("1.1.0"), "1.1.0", "s3://etl-two-trees/site", backoff=0)
    s3.put_object(Bucket="etl-two-trees", Key="site2/versions.json", Body=b"[]")  # type: ignore[attr-defined]
    assert publish_site(versioned_site("1.2.0"), "1.2.0", "s3://etl-two-trees/site2", backoff=0) == 0
    assert listed(s3, "s3://etl-two-trees/site2") == {"1.2.0": ["stable", "latest"]}
    assert listed(s3, "s3://etl-two-trees/site") == {"1.1.0": ["stable", "latest"]}


def test_a_build_that_starts_while_the_site_is_read_uploads_nothing(
    s3: object, bucket: str, versioned_site: BuildSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_catalog.publish import object_store

    publish_site(versioned_site("1.1.0"), "1.1.0", bucket, backoff=0)
    before = contents(s3, bucket)
    site = tmp_path / "html"
    shutil.copytree(versioned_site("1.2.0"), site)
    read = object_store.read_site

    def build_starts(path: Path) -> dict[str, bytes]:
        files = read(path)
        (site / "build-info.json").unlink()  # the first thing a new build does
        return files

    monkeypatch.setattr(object_store, "read_site", build_starts)
    with pytest.raises(PublishError, match=r"changed while it was being published .*nothing was published"):
        publish_site(site, "1.2.0", bucket, backoff=0)
    assert contents(s3, bucket) == before
