"""``airflow-catalog init DIR``: the project it writes, what it refuses to touch, and that the project
builds with zero warnings from the wheel alone, in a virtualenv that holds nothing of this repository."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from airflow_catalog.cli import main
from airflow_catalog.conventions import RULES
from airflow_catalog.init_project import installed_providers, project_paths

if TYPE_CHECKING:
    from distributions_fixtures import Distributions, Virtualenv

# A plugin, not an import: one definition of the session fixtures for every module that uses them.
pytest_plugins = ["distributions_fixtures"]

REPO = Path(__file__).resolve().parents[2]
ACTIONLINT = Path(sys.executable).parent / "actionlint"
PROVIDER = "airflow.providers.http"
#: Written with the repository's ``conf.py``: what every catalog project starts with.
EXTENSIONS = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx_autodoc_typehints",
    "sphinx.ext.graphviz",
    "sphinx_copybutton",
    "airflow_catalog",
    "airflow_catalog.sphinxext.connection_builder",
    "airflow_catalog.sphinxext.versioning",
    "airflow_catalog.sphinxext.search",
]
PAGES = [
    "conf.py",
    "index.md",
    "catalog/index.md",
    "catalog/conformance.md",
    "catalog/changes.md",
    "docs/conventions.md",
    "_static/favicon.svg",
    "requirements.txt",
    ".gitignore",
    ".github/workflows/docs.yml",
]


def conf_values(path: Path) -> dict[str, Any]:
    """The names ``conf.py`` assigns (it is plain assignments of literals, which is checked here)."""
    values: dict[str, Any] = {}
    for statement in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(statement, ast.Expr):  # the docstring
            continue
        assert isinstance(statement, ast.Assign), ast.dump(statement)
        (target,) = statement.targets
        assert isinstance(target, ast.Name)
        value = statement.value
        values[target.id] = values[value.id] if isinstance(value, ast.Name) else ast.literal_eval(value)
    return values


def repository_conf() -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile((REPO / "conf.py").read_text(encoding="utf-8"), "conf.py", "exec"), namespace)
    return namespace


def test_init_into_an_empty_folder_writes_the_project_and_prints_the_next_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "team-catalog"
    assert main(["init", str(folder), "--package", PROVIDER, "--package", "etl_platform"]) == 0
    out, err = capsys.readouterr()
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == sorted(PAGES)
    assert out.splitlines()[-1] == f"Next: airflow-catalog build --source {folder}"
    assert all(f"wrote {folder / page}" in out for page in PAGES)
    assert err == ""
    conf = conf_values(folder / "conf.py")
    ours = repository_conf()
    assert conf["extensions"] == EXTENSIONS
    assert set(EXTENSIONS) <= set(ours["extensions"])  # ours may add pages of its own
    assert conf["catalog_packages"] == [PROVIDER, "etl_platform"]
    assert conf["html_theme"] == "sphinx_rtd_theme" and conf["nitpicky"] is True
    assert conf["graphviz_output_format"] == "svg"
    assert conf["html_theme_options"] == ours["html_theme_options"]
    assert conf["project"] == "team-catalog"
    # Named packages were chosen: a module of theirs that fails to import must be seen.
    assert "suppress_warnings" not in conf
    requirements = (folder / "requirements.txt").read_text().splitlines()
    assert {"apache-airflow-providers-http", "etl-platform"} <= set(requirements)
    assert any(line.startswith("airflow-catalog>=") for line in requirements)


def test_init_leaves_an_existing_conf_py_byte_identical_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    ours = b"# the team's own configuration\r\nproject = 'mine'\n\x00"
    (folder / "conf.py").write_bytes(ours)
    before = (folder / "conf.py").stat()
    assert main(["init", str(folder), "--package", PROVIDER]) == 1
    out, err = capsys.readouterr()
    assert (folder / "conf.py").read_bytes() == ours
    assert (folder / "conf.py").stat().st_mtime_ns == before.st_mtime_ns
    assert f"skipped {folder / 'conf.py'}: it exists, left untouched" in err
    assert f"wrote {folder / 'conf.py'}" not in out
    # The missing files are still written, and the next command is still given.
    assert (folder / "catalog" / "index.md").is_file() and (folder / ".github/workflows/docs.yml").is_file()
    assert out.splitlines()[-1] == f"Next: airflow-catalog build --source {folder}"
    # A second run writes nothing and names every file.
    assert main(["init", str(folder), "--package", PROVIDER]) == 1
    out, err = capsys.readouterr()
    assert "wrote" not in out
    assert err.count("left untouched") == len(PAGES)


def test_init_without_packages_catalogues_every_installed_provider(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    providers = installed_providers()
    assert {"etl_platform", PROVIDER} <= set(providers)  # found through the entry points
    assert main(["init", str(tmp_path)]) == 0
    conf = conf_values(tmp_path / "conf.py")
    assert conf["catalog_packages"] == list(providers)
    # Upstream providers' optional parts whose dependencies nobody installed would fail `-W`.
    assert conf["suppress_warnings"] == ["catalog.import"]
    assert "etl-platform" in (tmp_path / "requirements.txt").read_text().splitlines()
    capsys.readouterr()


def test_init_refuses_a_package_that_is_not_an_import_name_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path / "site"), "--package", "apache-airflow-providers-http"]) == 2
    assert "not an import name" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_the_help_states_what_happens_to_existing_files(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["init", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "left untouched" in text and "1 when any existed already" in text


def test_the_workflow_passes_actionlint_builds_pull_requests_and_publishes_releases(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["init", str(tmp_path), "--package", PROVIDER])
    capsys.readouterr()
    path = tmp_path / ".github" / "workflows" / "docs.yml"
    linted = subprocess.run([str(ACTIONLINT), "-no-color", str(path)], capture_output=True, text=True)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    workflow = yaml.safe_load(path.read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as a boolean
    assert "pull_request" in triggers and triggers["release"] == {"types": ["published"]}
    assert workflow["permissions"] == {}
    assert workflow["env"]["SOURCE"] == "."
    jobs = workflow["jobs"]
    assert jobs["build"]["if"] == "github.event_name == 'pull_request'"
    assert jobs["publish"]["if"] == "github.event_name != 'pull_request'"
    assert jobs["publish"]["concurrency"] == {"group": "gh-pages", "cancel-in-progress": False}
    assert jobs["publish"]["permissions"] == {"contents": "write"}
    scripts = {name: "\n".join(step.get("run", "") for step in job["steps"]) for name, job in jobs.items()}
    assert 'pip install -r "requirements.txt"' in scripts["build"]
    assert 'airflow-catalog build --source "$SOURCE" --output _build/html' in scripts["build"]
    publish = scripts["publish"]
    assert publish.index("airflow-catalog previous --version") < publish.index("airflow-catalog build")
    assert publish.index("airflow-catalog build") < publish.index(
        'airflow-catalog publish --site _build/html --version "$DOCS_VERSION"'
    )
    assert jobs["deploy"]["needs"] == "publish"
    assert "@@" not in path.read_text()


def test_inside_a_git_repository_the_workflow_goes_to_its_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """GitHub reads workflows only at the repository's root: a project in ``docs/`` builds from there."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    folder = tmp_path / "docs"
    assert main(["init", str(folder), "--package", PROVIDER]) == 0
    capsys.readouterr()
    assert project_paths(folder)[-1] == tmp_path / ".github" / "workflows" / "docs.yml"
    assert not (folder / ".github").exists()
    workflow = yaml.safe_load((tmp_path / ".github" / "workflows" / "docs.yml").read_text())
    assert workflow["env"]["SOURCE"] == "docs"
    build = "\n".join(step.get("run", "") for step in workflow["jobs"]["build"]["steps"])
    assert 'pip install -r "docs/requirements.txt"' in build
    assert "airflow-catalog build --source docs" in (folder / "conf.py").read_text()


def test_the_conventions_page_has_a_section_for_every_rule_the_catalog_links_to(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["init", str(tmp_path), "--package", PROVIDER])
    capsys.readouterr()
    page = (tmp_path / "docs" / "conventions.md").read_text()
    assert re.findall(r"^\((CAT\d{3})\)=$", page, flags=re.MULTILINE) == [rule.id for rule in RULES]


# --- the acceptance test: the wheel alone, in a virtualenv outside the repository -------------------


@dataclass(frozen=True)
class InitSite:
    """The project ``init`` wrote in a fresh virtualenv, and its build."""

    venv: Virtualenv
    source: Path
    html: Path
    init: subprocess.CompletedProcess[str]
    build: subprocess.CompletedProcess[str]
    seconds: float


def init_and_build(venv: Virtualenv, name: str, *packages: str) -> InitSite:
    """Run ``airflow-catalog init`` then ``build`` as a user would, timing the two together."""
    workspace = venv.home.parent / name
    workspace.mkdir()
    options = [argument for package in packages for argument in ("--package", package)]
    start = time.perf_counter()
    init = venv.run("airflow-catalog", "init", "site", *options, cwd=workspace)
    assert init.returncode == 0, init.stdout + init.stderr
    build = venv.run("airflow-catalog", "build", "--source", "site", cwd=workspace)
    seconds = time.perf_counter() - start
    return InitSite(venv, workspace / "site", workspace / "_build" / "html", init, build, seconds)


@pytest.fixture(scope="module")
def catalog_venv(distributions: Distributions, fresh_virtualenv: Callable[..., Virtualenv]) -> Virtualenv:
    """The ``airflow-catalog`` wheel and one upstream provider from the registry, nothing else."""
    venv = fresh_virtualenv(
        "catalog", distributions.wheels["airflow-catalog"], "apache-airflow-providers-http"
    )
    assert "etl-platform" not in venv.distributions()
    return venv


@pytest.fixture(scope="module")
def http_site(catalog_venv: Virtualenv) -> InitSite:
    return init_and_build(catalog_venv, "http", PROVIDER)


def test_init_then_build_gives_the_providers_class_pages_with_zero_warnings(
    http_site: InitSite, record_property: Callable[[str, object], None]
) -> None:
    record_property("init_to_built_site_seconds", round(http_site.seconds, 1))
    build = http_site.build
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    assert not re.search(r"WARNING|ERROR", build.stderr), build.stderr[-3000:]
    assert "Next: airflow-catalog build --source site" in http_site.init.stdout
    generated = http_site.html / "catalog" / "_generated"
    for name in ("operators.http.HttpOperator", "hooks.http.HttpHook", "sensors.http.HttpSensor"):
        assert (generated / f"{PROVIDER}.{name}.html").is_file(), name
    catalog = json.loads((http_site.html / "catalog.json").read_text())
    paths = {entry["import_path"] for entry in catalog["entries"]}
    assert f"{PROVIDER}.operators.http.HttpOperator" in paths
    assert all(path.startswith(PROVIDER + ".") for path in paths)
    # The site is complete: publishable, and indexed for search.
    assert (http_site.html / "build-info.json").is_file()
    assert (http_site.html / "pagefind" / "pagefind.js").is_file()


def test_the_build_used_the_wheel_in_the_virtualenv_not_this_repository(http_site: InitSite) -> None:
    where = http_site.venv.run("python", "-c", "import airflow_catalog; print(airflow_catalog.__file__)")
    assert where.stdout.strip().startswith(str(http_site.venv.folder)), where.stdout + where.stderr
    assert str(REPO) not in http_site.build.stdout + http_site.build.stderr


@pytest.mark.browser
def test_search_finds_an_operator_of_the_init_site_in_chromium(
    http_site: InitSite, static_server: Callable[[Path], str], page: Any
) -> None:
    page.goto(static_server(http_site.html) + "search.html?q=HttpOperator")
    page.wait_for_selector(".pagefind-ui__result")
    titles = page.locator(".pagefind-ui__result .pagefind-ui__result-link").all_inner_texts()
    assert titles[0] == "HttpOperator"
    page.locator(".pagefind-ui__result-link").first.click()
    page.wait_for_url(f"**/catalog/_generated/{PROVIDER}.operators.http.HttpOperator.html")


def test_init_without_packages_then_build_catalogues_every_installed_provider_with_zero_warnings(
    catalog_venv: Virtualenv,
) -> None:
    site = init_and_build(catalog_venv, "every")
    assert site.build.returncode == 0, site.build.stdout[-3000:] + site.build.stderr[-3000:]
    assert not re.search(r"WARNING|ERROR", site.build.stderr), site.build.stderr[-3000:]
    packages = {entry["package"] for entry in json.loads((site.html / "catalog.json").read_text())["entries"]}
    # The provider installed from the registry, and those Airflow itself brings.
    assert {PROVIDER, "airflow.providers.standard", "airflow.providers.common.sql"} <= packages


def test_the_workflows_publish_step_merges_the_built_site_into_gh_pages(
    http_site: InitSite, tmp_path: Path
) -> None:
    """The generated workflow's own publishing script, run on the site built above, into a local remote."""
    workflow = yaml.safe_load((http_site.source / ".github" / "workflows" / "docs.yml").read_text())
    job = workflow["jobs"]["publish"]
    (step,) = [s for s in job["steps"] if s.get("name") == "Merge it into gh-pages"]
    remote = tmp_path / "team" / "catalog.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    env = {
        **{k: v for k, v in job["env"].items() if k.startswith("GIT_")},
        "PATH": f"{http_site.venv.folder / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "GH_TOKEN": "not-a-token",
        "GITHUB_SERVER_URL": str(tmp_path),
        "GITHUB_REPOSITORY": "team/catalog",
        "DOCS_VERSION": "dev",  # what the site above was built as: no DOCS_VERSION
        "AIRFLOW_HOME": str(http_site.venv.home),
    }
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=http_site.html.parent.parent,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    tree = subprocess.run(
        ["git", "-C", str(remote), "ls-tree", "-r", "--name-only", "gh-pages"], capture_output=True, text=True
    ).stdout.split()
    assert "versions.json" in tree and "dev/index.html" in tree
    assert f"dev/catalog/_generated/{PROVIDER}.operators.http.HttpOperator.html" in tree
