"""The arguments of `uv pip install`: uv's option table, and the words split into what
to install, how to install it, and what the dry run gets.

`_OPTIONS` is uv's `pip install` option table (uv 0.13: `uv pip install --help` plus the
hidden spellings and aliases uv accepts). uv's parser (clap) allows no abbreviations, so
neither does this one; an option not in the table is an error rather than a guess.
"""

from __future__ import annotations

from collections.abc import Sequence

from chaingate.ecosystems.pypi.install.common import (
    InstallArgs,
    InstallError,
    Option,
    OptionSpec,
    option_table,
    parse_words,
    refuse,
)


def _table() -> dict[str, OptionSpec]:
    """Every spelling of every `uv pip install` option -> the option."""
    requirement = (  # options that say what to install
        "-r --requirements --requirement",
        "-e --editable",
        "-c --constraints --constraint",
        "--overrides --override",
        "--excludes --exclude",
        "--group",
    )
    value = (
        "-b --build-constraints --build-constraint",
        "--extra",
        "--no-editable-package",
        "--cert",
        "-t --target",
        "--prefix",
        "--no-binary",
        "--only-binary",
        "--python-version",
        "--python-platform",
        "--output-format",
        "--torch-backend",
        "--index",
        "--default-index",
        "-i --index-url",
        "--extra-index-url",
        "-f --find-links",
        "--index-strategy",
        "--keyring-provider",
        "-P --upgrade-package",
        "--upgrade-group",
        "--resolution",
        "--prerelease",
        "--prerelease-package",
        "--fork-strategy",
        "--exclude-newer",
        "--exclude-newer-package",
        "--no-sources-package",
        "--reinstall-package",
        "--link-mode",
        "-C --config-setting --config-settings",
        "--config-settings-package",
        "--no-build-isolation-package",
        "--cache-dir",
        "--refresh-package",
        "-p --python",
        "--python-preference",
        "--python-fetch",
        "--color",
        "--allow-insecure-host --trusted-host",
        "--preview-features --preview-feature",
        "--directory",
        "--project",
        "--config-file",
    )
    flag = (
        "--no-editable",
        "--all-extras",
        "--no-all-extras",
        "--no-deps",
        "--deps",
        "--require-hashes",
        "--no-require-hashes",
        "--verify-hashes",
        "--no-verify-hashes",
        "--require-build-hashes",
        "--system",
        "--no-system",
        "--break-system-packages",
        "--no-break-system-packages",
        "--no-build",
        "--build",
        "--exact",
        "--inexact --no-exact",
        "--strict",
        "--no-strict",
        "--dry-run",
        "--check",
        "--user",
        "--disable-pip-version-check",
        "--no-index",
        "-U --upgrade",
        "--no-upgrade",
        "--pre",
        "--no-sources",
        "--reinstall --force-reinstall",
        "--no-reinstall",
        "--compile-bytecode --compile",
        "--no-compile-bytecode --no-compile",
        "--no-build-isolation",
        "--build-isolation",
        "-n --no-cache --no-cache-dir",
        "--refresh",
        "--no-refresh",
        "--managed-python",
        "--no-managed-python",
        "--no-python-downloads",
        "--allow-python-downloads",
        "-q --quiet",
        "-v --verbose",
        "--no-color",
        "--system-certs",
        "--no-system-certs",
        "--native-tls",
        "--no-native-tls",
        "--offline",
        "--no-offline",
        "--preview",
        "--no-preview",
        "--isolated",
        "--show-settings",
        "--no-progress",
        "--no-installer-metadata",
        "--no-config",
        "-h --help",
    )
    return option_table(requirement, value, flag)


_OPTIONS = _table()
_REFUSED = {
    "--dry-run": "the guard runs uv's dry run itself; leave --dry-run out",
    "--check": "the guard installs; to only check, run `uv pip install --check` itself",
    "--exact": "the pinned install names only the packages that change, so --exact would "
    "remove every other package; it is not supported by the guard",
    "--show-settings": "shows uv's settings instead of installing; run uv itself",
    "--help": "for uv's own help run `uv pip install --help`",
}
# Options that would hide or decorate the dry run's output (the install still gets them).
_NOT_FOR_DRY_RUN = frozenset({"--quiet", "--verbose", "--color", "--no-color"})
# Options that select what to install (extras and groups of the requirement sources) or
# that the pinned install sets itself (uv refuses a flag given twice).
_NOT_FOR_PINNED_INSTALL = frozenset(
    {
        "--extra",
        "--all-extras",
        "--no-all-extras",
        "--upgrade-group",
        "--no-deps",
        "--deps",
        "--require-hashes",
        "--no-require-hashes",
        "--no-verify-hashes",
    }
)


class UvArgs(InstallArgs, frozen=True):
    """The arguments of `uv pip install`, split like pip's: `args` verbatim,
    `requirements` the positional requirements and requirement options as written,
    `options` everything else. `packages` are the positional requirements alone, `sources`
    the requirement options (`-r`, `-e`, `-c`, ...), and `dry_run` the words the dry run
    gets."""

    packages: tuple[str, ...] = ()
    sources: tuple[Option, ...] = ()
    dry_run: tuple[str, ...] = ()

    not_for_pinned_install = _NOT_FOR_PINNED_INSTALL

    def values(self, name: str) -> list[str]:
        """Every value given for option `name` (canonical long name), in order."""
        return [o.value for o in (*self.options, *self.sources) if o.name == name and o.value]

    def given(self, name: str) -> bool:
        return any(o.name == name for o in (*self.options, *self.sources))

    @property
    def index_url(self) -> str | None:
        """The default index the user gave uv (`--default-index`, else `--index-url`)."""
        return self.value("--default-index") or self.value("--index-url")


def split_args(args: Sequence[str]) -> UvArgs:
    """Split `uv pip install` arguments the way uv's parser would. InstallError on an unknown
    or refused option (`--dry-run`, `--check`, `--exact`, `--help`, ...), a missing value,
    or requirements read from stdin (`-r -`), which cannot be read twice."""
    packages: list[str] = []
    sources: list[Option] = []
    options: list[Option] = []
    dry_run: list[str] = []

    def take(option: OptionSpec, tokens: tuple[str, ...], value: str | None) -> None:
        refuse(_REFUSED, option, tokens)
        if option.requirement and value == "-":
            raise InstallError(
                f"{' '.join(tokens)}: the guard reads the requirements twice (plan, then install); "
                "write them to a file"
            )
        (sources if option.requirement else options).append(Option(option.name, tokens, value))
        if option.name not in _NOT_FOR_DRY_RUN:
            dry_run.extend(tokens)

    def positional(word: str) -> None:
        packages.append(word)
        dry_run.append(word)

    lookup = lambda word: _OPTIONS.get(word) or _unknown(word)  # noqa: E731
    rest = parse_words(
        args, "uv", lookup, lookup, take=take, positional=positional, joined_short=True
    )
    if rest is not None:
        packages.extend(rest)
        dry_run.extend(["--", *rest])
    requirement_words = (*packages, *(t for o in sources for t in o.tokens))
    return UvArgs(
        args=tuple(args),
        requirements=requirement_words,
        options=tuple(options),
        packages=tuple(packages),
        sources=tuple(sources),
        dry_run=tuple(dry_run),
    )


def _unknown(word: str) -> OptionSpec:
    raise InstallError(f"unknown uv pip install option {word}")


def python_args(args: UvArgs, python: str | None) -> list[str]:
    """`--python PYTHON` when the caller names an interpreter and the user did not choose
    one (`--python`, `--system`); otherwise uv finds the environment itself, the same way
    for the dry run and the install."""
    if python is None or args.given("--python") or args.given("--system"):
        return []
    return ["--python", python]
