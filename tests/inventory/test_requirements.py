"""requirements*.txt: what a user would see from pip-style files, compiled or hand-written."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaingate.core.inventory import Declared, InventoryError, Manifest, Origin
from chaingate.ecosystems.pypi.manifests import requirements

FIXTURES = Path(__file__).parent / "fixtures" / "requirements"


def by_name(manifest: Manifest) -> dict[str, Declared]:
    return {entry.name: entry for entry in manifest.entries}


def write(tmp_path: Path, text: str, name: str = "requirements.txt") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_uv_compiled_with_hashes_is_locked_with_graph_and_direct_flags() -> None:
    manifest = requirements.parse(FIXTURES / "uv-compiled" / "requirements.txt", "req.txt")

    assert manifest.kind == "requirements"
    assert manifest.locked
    entries = by_name(manifest)
    assert sorted(entries) == [
        "click",
        "helper",
        "markdown-it-py",
        "mdurl",
        "pygments",
        "rich",
        "six",
    ]
    assert {n for n, e in entries.items() if e.direct} == {"click", "helper", "rich"}
    assert entries["rich"].version == "15.0.0"
    assert entries["rich"].location.line == 21
    assert entries["rich"].hashes == (
        "sha256:33bd4ef74232fb73fe9279a257718407f169c09b78a87ad3d296f548e27de0bb",
        "sha256:edd07a4824c6b40189fb7ac9bc4c52536e9780fbbfbddf6f1e2502c31b068c36",
    )
    assert entries["helper"].origin is Origin.PATH
    assert entries["helper"].url == "./libs/helper"
    assert manifest.graph == {
        "helper": ("six",),
        "markdown-it-py": ("mdurl",),
        "rich": ("markdown-it-py", "pygments"),
    }


def test_one_line_via_annotations_make_a_compiled_file_locked_without_hashes() -> None:
    manifest = requirements.parse(FIXTURES / "uv-compiled" / "requirements-line.txt", "r.txt")

    assert manifest.locked
    entries = by_name(manifest)
    assert not any(e.hashes for e in entries.values())
    assert {n for n, e in entries.items() if e.direct} == {"click", "helper", "rich"}
    assert manifest.graph["rich"] == ("markdown-it-py", "pygments")


def test_pip_compile_output_constraint_alone_does_not_make_an_entry_direct() -> None:
    manifest = requirements.parse(FIXTURES / "pip-compile" / "requirements.txt", "r.txt")

    entries = by_name(manifest)
    assert manifest.locked
    # `# via -c constraints.txt` + `rich`: constrained, but pulled in by rich.
    assert not entries["markdown-it-py"].direct
    assert manifest.graph["rich"] == ("markdown-it-py", "pygments")
    assert entries["helper"].origin is Origin.PATH
    assert entries["helper"].url == "file:///tmp/cgpiptools/libs/helper"
    assert entries["click"].direct


def test_read_index_options_follows_pip_compile_header() -> None:
    path = FIXTURES / "pip-compile" / "requirements.txt"
    assert requirements.read_index_options(path) == ["https://pypi.internal.example/simple"]


def test_handwritten_file_with_includes_constraints_and_every_kind_of_entry() -> None:
    manifest = requirements.parse(
        FIXTURES / "handwritten" / "requirements.txt", "handwritten/requirements.txt"
    )

    assert not manifest.locked
    assert manifest.graph == {}
    entries = by_name(manifest)
    # Constraint files narrow versions; their names are not dependencies.
    assert "urllib3" not in entries
    assert "idna" not in entries
    assert all(e.direct for e in entries.values())

    # -r includes, nested, with the location in the included file.
    assert entries["attrs"].location.file == "handwritten/requirements/base.txt"
    assert entries["attrs"].location.line == 2
    assert entries["packaging"].location.file == "handwritten/requirements/common.txt"
    assert entries["packaging"].version == "24.2"

    assert entries["django"].version == "5.1.4"
    assert entries["django"].location.line == 10
    requests_entry = entries["requests"]
    assert requests_entry.version is None
    assert requests_entry.specifier == "<3,>=2.31"
    assert requests_entry.extras == ("security", "socks")
    assert requests_entry.marker == 'python_version >= "3.8"'
    assert entries["numpy"].version is None  # a wildcard is not a pin
    assert entries["numpy"].specifier == "==2.*"
    assert entries["legacy-lib"].version == "1.0.0-custom"

    assert entries["internal-auth"].origin is Origin.URL
    assert entries["fastjson"].origin is Origin.URL  # name from the wheel file name
    assert entries["patched-lib"].origin is Origin.VCS
    assert entries["patched-lib"].url == (
        "git+https://github.com/example/patched-lib.git@v2.0#egg=patched-lib"
    )
    assert entries["no-egg-tool"].origin is Origin.VCS  # name from the repository
    assert entries["my-lib"].origin is Origin.PATH  # name from vendor/mylib_src/pyproject
    assert entries["my-lib"].url == "./vendor/mylib_src"
    assert entries["pinned-tarball"].origin is Origin.PATH
    assert entries["gunicorn"].location.line == 20
    assert len(entries["gunicorn"].hashes) == 2


def test_index_options_come_from_the_file_and_its_includes(tmp_path: Path) -> None:
    write(tmp_path, "-i https://mirror.example/simple\nflask\n-r more.txt\n")
    write(tmp_path, "--extra-index-url=https://extra.example/simple\nclick\n", "more.txt")

    found = requirements.read_index_options(tmp_path / "requirements.txt")

    assert found == ["https://mirror.example/simple", "https://extra.example/simple"]


def test_hash_pinned_file_is_locked_and_every_entry_direct(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "six==1.17.0 \\\n"
        "    --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274\n"
        "idna==3.10 --hash=sha256:946d195a0d259cbba61165e88e65941f16e9b36ea6ddb97f00452bae\n",
    )

    manifest = requirements.parse(path, "requirements.txt")

    assert manifest.locked
    assert all(e.direct for e in manifest.entries)
    assert [e.location.line for e in manifest.entries] == [1, 3]


@pytest.mark.parametrize(
    "text",
    [
        "six==1.17.0 --hash=sha256:4721f391\nidna==3.10\n",  # one entry without a hash
        "six>=1.17 --hash=sha256:4721f391\n",  # a range, not a pin
        "",
    ],
)
def test_files_that_are_not_locked(tmp_path: Path, text: str) -> None:
    assert not requirements.parse(write(tmp_path, text), "requirements.txt").locked


def test_parse_text_resolves_includes_against_base_dir(tmp_path: Path) -> None:
    write(tmp_path, "attrs==25.1.0\n", "base.txt")

    manifest = requirements.parse_text("-r base.txt\nclick==8.1.7\n", "uv pip compile", tmp_path)

    assert [e.name for e in manifest.entries] == ["attrs", "click"]
    assert manifest.entries[0].location.file == "base.txt"
    assert manifest.path == "uv pip compile"


def test_editable_current_directory_is_named_after_its_project(tmp_path: Path) -> None:
    project = tmp_path / "checkout"
    write(project, '[project]\nname = "Shiny_App"\nversion = "1"\n', "pyproject.toml")
    path = write(project, "-e .[dev]\n")

    (entry,) = requirements.parse(path, "requirements.txt").entries

    assert entry.name == "shiny-app"
    assert entry.origin is Origin.PATH
    assert entry.extras == ("dev",)


def test_url_with_marker_needs_space_before_semicolon(tmp_path: Path) -> None:
    path = write(tmp_path, 'https://example.com/pkgs/tool-1.0.tar.gz ; sys_platform == "linux"\n')

    (entry,) = requirements.parse(path, "requirements.txt").entries

    assert entry.name == "tool"
    assert entry.marker == 'sys_platform == "linux"'
    assert entry.url == "https://example.com/pkgs/tool-1.0.tar.gz"


def test_missing_include_names_the_including_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "flask\n\n-r missing.txt\n")

    with pytest.raises(InventoryError) as caught:
        requirements.parse(path, "app/requirements.txt")

    assert caught.value.file == "app/requirements.txt"
    assert caught.value.line == 3
    assert "missing.txt" in caught.value.message


def test_include_cycle_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "-r b.txt\n", "a.txt")
    write(tmp_path, "flask\n-r a.txt\n", "b.txt")

    with pytest.raises(InventoryError, match="include cycle") as caught:
        requirements.parse(tmp_path / "a.txt", "a.txt")

    assert (caught.value.file, caught.value.line) == ("b.txt", 2)


def test_a_file_included_twice_is_read_once(tmp_path: Path) -> None:
    write(tmp_path, "-r common.txt\n-r other.txt\n", "a.txt")
    write(tmp_path, "-r common.txt\n", "other.txt")
    write(tmp_path, "flask\n", "common.txt")

    manifest = requirements.parse(tmp_path / "a.txt", "a.txt")

    assert [e.name for e in manifest.entries] == ["flask"]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("flask\ndjango>>=4\n", 2, "invalid requirement"),
        ("flask \\\n  >=2 \\\n  ;;\n", 1, "invalid requirement"),
        ("--no-such-option\n", 1, "unknown option"),
        ("--hash=sha256:abcd\n", 1, "--hash must follow a requirement"),
        ("six==1 --hash=abcd\n", 1, "sha256:<hex>"),
        ("-r\n", 1, "needs a value"),
        ("https://example.com/\n", 1, "add #egg="),
        ("-r https://example.com/req.txt\n", 1, "remote include"),
        ('flask ; python_version >>> "3"\n', 1, "invalid requirement"),
        ("flask --hash 'unterminated\n", 1, "cannot split options"),
    ],
)
def test_bad_lines_are_reported_with_their_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = write(tmp_path, text)

    with pytest.raises(InventoryError, match=message) as caught:
        requirements.parse(path, "requirements.txt")

    assert (caught.value.file, caught.value.line) == ("requirements.txt", line)


def test_not_utf8_is_an_error_with_a_line(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_bytes(b"flask\nd\xe9j\xe0\n")

    with pytest.raises(InventoryError, match="UTF-8") as caught:
        requirements.parse(path, "requirements.txt")

    assert caught.value.line == 2
