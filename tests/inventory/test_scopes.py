"""Scopes (issue 13): every package carries the scopes that pull it in -- `runtime`, each
optional-dependency extra (`extra:<name>`) and each dependency group -- from every format
that records them, and a transitive package the union of the scopes of the roots that
reach it. The files are written by hand in each tool's documented format."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaingate.core.inventory import InventoryError, Package
from chaingate.ecosystems.pypi.manifests.requirements import scope_from_file_name
from chaingate.inventory.build import build_inventory

NOWHERE = "http://127.0.0.1:9/simple"
FIXTURE = [HealthCheck.function_scoped_fixture]

PYPROJECT = """\
[project]
name = "app"
version = "1.0"
dependencies = ["requests==2.32.3"]

[project.optional-dependencies]
socks = ["pysocks==1.7.1"]

[dependency-groups]
test = ["pytest==8.3.0"]
dev = [{include-group = "test"}, "ruff==0.6.0"]
docs = ["sphinx==8.0.0", "requests==2.32.3"]
"""


def scopes(root: Path, *, resolve: bool = False) -> dict[str, tuple[str, ...]]:
    inventory = build_inventory(root, resolve_deps=resolve, index_url=NOWHERE)
    return {p.name: p.scopes for p in inventory.packages}


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_pyproject_runtime_extras_and_groups_with_included_groups(tmp_path: Path) -> None:
    found = scopes(write(tmp_path, {"pyproject.toml": PYPROJECT}))
    assert found == {
        "requests": ("runtime", "docs"),  # runtime first, then the others
        "pysocks": ("extra:socks",),
        "pytest": ("dev", "test"),  # dev includes test
        "ruff": ("dev",),
        "sphinx": ("docs",),
    }


def test_poetry_pyproject_groups_dev_dependencies_and_extras(tmp_path: Path) -> None:
    text = """\
[tool.poetry.dependencies]
python = "^3.9"
requests = "2.32.3"
pysocks = {version = "1.7.1", optional = true}

[tool.poetry.extras]
socks = ["pysocks"]

[tool.poetry.dev-dependencies]
black = "24.1.0"

[tool.poetry.group.docs.dependencies]
mkdocs = "1.6.0"
"""
    found = scopes(write(tmp_path, {"pyproject.toml": text}))
    assert found == {
        "requests": ("runtime",),
        "pysocks": ("extra:socks",),
        "black": ("dev",),
        "mkdocs": ("docs",),
    }


UV_LOCK = """\
version = 1
requires-python = ">=3.9"

[[package]]
name = "app"
version = "1.0"
source = { editable = "." }
dependencies = [{ name = "requests" }]

[package.optional-dependencies]
socks = [{ name = "pysocks" }]

[package.dev-dependencies]
dev = [{ name = "pytest" }]
docs = [{ name = "sphinx" }]

[[package]]
name = "requests"
version = "2.32.3"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "urllib3" }]

[[package]]
name = "urllib3"
version = "2.2.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pysocks"
version = "1.7.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "8.3.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "pluggy" }]

[[package]]
name = "pluggy"
version = "1.5.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "sphinx"
version = "8.0.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "requests" }, { name = "pluggy" }]
"""


def test_uv_lock_walks_the_graph_from_the_root_per_scope(tmp_path: Path) -> None:
    found = scopes(write(tmp_path, {"uv.lock": UV_LOCK}))
    assert found == {
        "requests": ("runtime", "docs"),  # direct, and pulled in by sphinx
        "urllib3": ("runtime", "docs"),  # the union of the roots that reach it
        "pysocks": ("extra:socks",),
        "pytest": ("dev",),
        "pluggy": ("dev", "docs"),
        "sphinx": ("docs",),
    }


def test_poetry_lock_groups_and_extras(tmp_path: Path) -> None:
    lock = """\
[[package]]
name = "requests"
version = "2.32.3"
groups = ["main", "docs"]

[package.dependencies]
urllib3 = ">=1"

[[package]]
name = "urllib3"
version = "2.2.0"
groups = ["main", "docs"]

[[package]]
name = "pysocks"
version = "1.7.1"
optional = true
groups = ["main"]

[[package]]
name = "black"
version = "24.1.0"
category = "dev"

[extras]
socks = ["pysocks"]
"""
    pyproject = """\
[tool.poetry.dependencies]
requests = "2.32.3"
pysocks = {version = "1.7.1", optional = true}

[tool.poetry.extras]
socks = ["pysocks"]
"""
    found = scopes(write(tmp_path, {"poetry.lock": lock, "pyproject.toml": pyproject}))
    assert found == {
        "requests": ("runtime", "docs"),
        "urllib3": ("runtime", "docs"),
        "pysocks": ("extra:socks",),  # optional: only with the extra, never runtime
        "black": ("dev",),
    }


def test_pdm_lock_groups_with_extras_told_by_the_pyproject(tmp_path: Path) -> None:
    lock = """\
[metadata]
groups = ["default", "socks", "test"]

[[package]]
name = "requests"
version = "2.32.3"
groups = ["default"]
dependencies = ["urllib3>=1"]

[[package]]
name = "urllib3"
version = "2.2.0"
groups = ["default", "test"]

[[package]]
name = "pysocks"
version = "1.7.1"
groups = ["socks"]

[[package]]
name = "pytest"
version = "8.3.0"
groups = ["test"]
"""
    pyproject = """\
[project]
name = "app"
dependencies = ["requests"]

[project.optional-dependencies]
socks = ["pysocks"]

[tool.pdm.dev-dependencies]
test = ["pytest", "urllib3"]
"""
    found = scopes(write(tmp_path, {"pdm.lock": lock, "pyproject.toml": pyproject}))
    assert found == {
        "requests": ("runtime",),
        "urllib3": ("runtime", "test"),
        "pysocks": ("extra:socks",),
        "pytest": ("test",),
    }


def test_pipfile_lock_develop_is_dev(tmp_path: Path) -> None:
    lock = {
        "_meta": {"sources": []},
        "default": {"requests": {"version": "==2.32.3"}, "urllib3": {"version": "==2.2.0"}},
        "develop": {"pytest": {"version": "==8.3.0"}, "urllib3": {"version": "==2.2.0"}},
    }
    found = scopes(write(tmp_path, {"Pipfile.lock": json.dumps(lock)}))
    assert found == {
        "requests": ("runtime",),
        "urllib3": ("runtime", "dev"),
        "pytest": ("dev",),
    }


def test_pylock_markers_name_extras_and_dependency_groups(tmp_path: Path) -> None:
    lock = """\
lock-version = "1.0"
created-by = "hand"
extras = ["socks"]
dependency-groups = ["dev", "docs"]
default-groups = []

[[packages]]
name = "requests"
version = "2.32.3"

[[packages]]
name = "pysocks"
version = "1.7.1"
marker = "'socks' in extras"

[[packages]]
name = "pytest"
version = "8.3.0"
marker = "'dev' in dependency_groups and python_version >= '3.9'"

[[packages]]
name = "sphinx"
version = "8.0.0"
marker = "'docs' in dependency_groups or 'dev' in dependency_groups"
"""
    found = scopes(write(tmp_path, {"pylock.toml": lock}))
    assert found == {
        "requests": ("runtime",),
        "pysocks": ("extra:socks",),
        "pytest": ("dev",),
        "sphinx": ("dev", "docs"),
    }


def test_requirements_files_get_a_scope_from_their_name_only(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "requirements.txt": "requests==2.32.3\n",
            "requirements-dev.txt": "pytest==8.3.0\n",
            "docs/requirements.txt": "sphinx==8.0.0\n",
            "requirements/main.txt": "flask==3.1.0\n",
            "requirements/tests.txt": "pytest==8.3.0\n",
        },
    )
    inventory = build_inventory(root, resolve_deps=False, index_url=NOWHERE)
    found = {p.name: p.scopes for p in inventory.packages}
    assert found == {
        "requests": ("runtime",),
        "pytest": ("dev", "tests"),
        "sphinx": ("docs",),
        "flask": ("runtime",),
    }
    # said, since nothing in these files records a scope
    assert "docs/requirements.txt: scope docs from the file name" in inventory.scope_notes
    assert "requirements-dev.txt: scope dev from the file name" in inventory.scope_notes


def test_the_example_app_runtime_and_dev() -> None:
    """examples/webapp's uv.lock: the six dev tools and what they pull in are dev only."""
    root = Path(__file__).resolve().parents[2] / "examples" / "webapp"
    inventory = build_inventory(root, resolve_deps=False, index_url=NOWHERE)
    by_name: dict[str, Package] = {p.name: p for p in inventory.packages}
    assert by_name["fastapi"].scopes == ("runtime",)
    assert by_name["pytest"].scopes == ("dev",)
    assert by_name["mypy"].scopes == ("dev",)
    assert by_name["pluggy"].scopes == ("dev",)  # only pytest pulls it in
    assert all(p.scopes for p in inventory.packages)
    runtime = [p for p in inventory.packages if "runtime" in p.scopes]
    assert 0 < len(runtime) < len(inventory.packages)


def test_scope_from_file_name() -> None:
    assert scope_from_file_name("requirements.txt") == "runtime"
    assert scope_from_file_name("requirements-dev.txt") == "dev"
    assert scope_from_file_name("dev-requirements.txt") == "dev"
    assert scope_from_file_name("requirements_test.txt") == "test"
    assert scope_from_file_name("requirements/docs.txt") == "docs"
    assert scope_from_file_name("requirements/base.in") == "runtime"
    assert scope_from_file_name("docs/requirements.txt") == "docs"
    assert scope_from_file_name("requirements/prod.txt") == "runtime"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(marker=st.text(max_size=80))
def test_fuzz_pylock_markers_never_crash(tmp_path: Path, marker: str) -> None:
    """Any marker text: a clear InventoryError or scopes, never a traceback."""
    lock = (
        'lock-version = "1.0"\ncreated-by = "hand"\n\n[[packages]]\nname = "a"\n'
        f'version = "1"\nmarker = {json.dumps(marker)}\n'
    )
    (tmp_path / "pylock.toml").write_text(lock)
    try:
        found = scopes(tmp_path)
    except InventoryError:
        return
    assert found["a"]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    groups=st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True),
        st.lists(
            st.one_of(
                st.sampled_from(["requests", "pytest==8", "ruff"]),
                st.builds(lambda g: {"include-group": g}, st.text(max_size=8)),
            ),
            max_size=4,
        ),
        max_size=4,
    )
)
def test_fuzz_dependency_groups_scopes(tmp_path: Path, groups: dict[str, list[object]]) -> None:
    """Any [dependency-groups] table: an InventoryError naming the file, or every entry in
    the scopes of the groups that write or include it."""

    def value(item: object) -> str:
        if isinstance(item, dict):
            return "{ include-group = " + json.dumps(item["include-group"]) + " }"
        return json.dumps(item)

    body = "".join(
        f"{json.dumps(name)} = [{', '.join(value(v) for v in values)}]\n"
        for name, values in groups.items()
    )
    (tmp_path / "pyproject.toml").write_text("[dependency-groups]\n" + body)
    try:
        found = scopes(tmp_path)
    except InventoryError as exc:
        assert exc.file == "pyproject.toml"
        return
    for name, group_scopes in found.items():
        assert group_scopes, name
        assert "runtime" not in group_scopes
