"""The published tree's model: version names, ordering, aliases, versions.json and the root pages."""

from __future__ import annotations

import json

import pytest

from airflow_catalog.publish.versions import (
    MAX_LENGTH,
    PublishedVersion,
    VersionError,
    Versions,
    normalise_version,
    read_version_name,
    render_not_found,
    render_root_index,
    root_files,
)

DATE = "2026-11-25T12:00:00Z"


def tree(*names: str) -> Versions:
    return Versions.of(PublishedVersion.new(name, DATE) for name in names)


@pytest.mark.parametrize(
    ("given", "folder"),
    [
        ("1.2.0", "1.2.0"),
        ("v1.2.0", "1.2.0"),
        ("2.0.0-RC1", "2.0.0rc1"),
        ("1.2", "1.2"),
        ("dev", "dev"),
        ("1!2.0", "1!2.0"),
        ("2.10.0RC1.post12.DEV345", "2.10.0rc1.post12.dev345"),
    ],
)
def test_versions_are_normalised_to_one_folder_name(given: str, folder: str) -> None:
    assert normalise_version(given) == folder


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("", "empty"),
        ("1.0/evil", "slash"),
        ("..", "'..'"),
        (".", "or is '.'"),
        ("1.0\\2", "slash"),
        ("1.0 beta", "white space"),
        ("1.0\n", "control character"),
        ("1.0\x00", "control character"),
        ("stable", "alias"),
        ("versions.json", "a file the publisher writes at the root"),
        ("1.0+local", "local version"),
        ("banana", "not a PEP 440 version"),
    ],
)
def test_unpublishable_names_are_refused_with_the_reason(bad: str, reason: str) -> None:
    with pytest.raises(VersionError, match=reason):
        normalise_version(bad)


def test_a_version_name_every_target_can_store_has_at_most_100_characters() -> None:
    """Before: a 401-character version went into gh-pages, which git could then no longer check out."""
    longest = "10" + ".0" * 49
    assert len(longest) == MAX_LENGTH and normalise_version(longest) == longest
    too_long = "1" + ".0" * 50
    with pytest.raises(VersionError) as caught:
        normalise_version(too_long)
    assert str(caught.value) == (
        f"version {too_long[:40]!r}… is 101 characters long; a published version may have at most 100 "
        "(it names a folder in every target, and longer names break checkouts of the published branch): "
        "pass a PEP 440 version such as 1.2.0, or `dev`"
    )
    # A spelling that normalisation lengthens (-1 → .post1) is measured as it is published.
    with pytest.raises(VersionError, match="is 101 characters long"):
        normalise_version("1" + ".0" * 47 + "-1")


def test_a_long_name_already_published_can_still_be_read_and_removed() -> None:
    long = "1." + ".".join(["0"] * 200)
    assert read_version_name(long) == long
    listing = json.dumps([{"version": long}, {"version": "1.0.0"}])
    versions = Versions.loads(listing)
    assert versions.names() == [long, "1.0.0"]
    assert versions.without(long).names() == ["1.0.0"]
    with pytest.raises(VersionError, match="slash"):
        read_version_name("../" + long)


def test_an_alias_is_refused_with_the_way_to_take_its_version_down() -> None:
    with pytest.raises(VersionError) as caught:
        normalise_version("latest")
    assert str(caught.value) == (
        "'latest' is an alias, not a version: it follows the versions on its own (stable is the newest "
        "final release, latest the newest release). To take a version down, unpublish it by its number "
        "(versions.json lists them)"
    )


def test_versions_are_ordered_by_pep_440_newest_first_with_dev_on_top() -> None:
    versions = tree("1.9.0", "1.10.0", "dev", "2.0.0rc1", "2.0.0.dev1", "1.10.0.post1")
    assert versions.names() == ["dev", "2.0.0rc1", "2.0.0.dev1", "1.10.0.post1", "1.10.0", "1.9.0"]


def test_stable_is_the_newest_final_and_latest_the_newest_release() -> None:
    versions = tree("1.1.0", "2.0.0rc1", "1.2.0", "dev")
    assert versions.alias_targets() == {"stable": "1.2.0", "latest": "2.0.0rc1"}
    assert [e.prerelease for e in versions.entries] == [True, True, False, False]
    assert versions.home() == "stable"


def test_without_a_final_release_the_root_goes_to_latest_then_dev() -> None:
    assert tree("2.0.0rc1", "dev").alias_targets() == {"latest": "2.0.0rc1"}
    assert tree("2.0.0rc1").home() == "latest"
    assert tree("dev").alias_targets() == {} and tree("dev").home() == "dev"
    assert Versions().home() is None


def test_replacing_a_version_keeps_one_entry_and_the_new_title() -> None:
    versions = tree("1.0.0", "1.1.0").with_version(PublishedVersion.new("1.1.0", DATE, title="1.1.0 (fixed)"))
    assert versions.names() == ["1.1.0", "1.0.0"]
    assert versions.entries[0].title == "1.1.0 (fixed)" and versions.entries[0].aliases == (
        "stable",
        "latest",
    )


def test_removing_a_version_moves_its_aliases() -> None:
    versions = tree("1.1.0", "1.2.0", "2.0.0rc1").without("1.2.0")
    assert versions.alias_targets() == {"stable": "1.1.0", "latest": "2.0.0rc1"}
    with pytest.raises(VersionError, match=r"version 3.0.0 is not published \(published: 2.0.0rc1, 1.1.0\)"):
        versions.without("3.0.0")


def test_entries_whose_folder_is_missing_are_dropped_so_no_alias_dangles() -> None:
    versions = tree("1.1.0", "1.2.0").keeping(["1.1.0", "stable", "unrelated"])
    assert versions.names() == ["1.1.0"] and versions.alias_targets()["stable"] == "1.1.0"


def test_previous_is_the_newest_older_release() -> None:
    versions = tree("1.0.0", "1.1.0", "2.0.0rc1", "dev")
    assert versions.previous("1.2.0") == "1.1.0"
    assert versions.previous("2.0.0") == "2.0.0rc1"
    assert versions.previous("1.0.0") is None
    assert versions.previous("dev") == "2.0.0rc1"


def test_versions_json_round_trips_and_keeps_aliases_inside_their_entries() -> None:
    versions = tree("1.0.0", "dev", "2.0.0rc1")
    data = json.loads(versions.dumps())
    assert data[1] == {
        "version": "2.0.0rc1",
        "title": "2.0.0rc1",
        "prerelease": True,
        "date": DATE,
        "aliases": ["latest"],
    }
    assert Versions.loads(versions.dumps()) == versions


@pytest.mark.parametrize("text", ["{}", "[{}]", "not json", '[{"version": "../x"}]'])
def test_a_broken_versions_json_is_reported_with_the_fix(text: str) -> None:
    with pytest.raises(VersionError, match=r"fix or delete it|slash"):
        Versions.loads(text)


def test_root_index_redirects_to_stable_keeping_the_hash() -> None:
    page = render_root_index("stable")
    assert '<meta http-equiv="refresh" content="0; url=stable/">' in page
    assert 'location.replace("stable/" + location.hash)' in page
    assert "No version is published yet" in render_root_index(None)


def test_not_found_page_is_self_contained_and_knows_the_versions() -> None:
    page = render_not_found(tree("1.0.0", "2.0.0rc1"))
    assert '["2.0.0rc1", "1.0.0", "latest", "stable"]' in page
    assert "src=" not in page and "stylesheet" not in page


def test_root_files_include_nojekyll_and_versions_json() -> None:
    files = root_files(tree("1.0.0"))
    assert set(files) == {".nojekyll", "index.html", "404.html", "versions.json"}
    assert json.loads(files["versions.json"])[0]["aliases"] == ["stable", "latest"]
