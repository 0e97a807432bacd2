"""`PackageRef`: the one key for a package across every stage and every ecosystem."""

from __future__ import annotations

import msgspec


class PackageRef(msgspec.Struct, frozen=True, order=True):
    """A package in an ecosystem, at a version when one is known.

    `name` is already normalised by the ecosystem's `Names` adapter (PEP 503 for PyPI,
    `owner/repo` lower-cased for GitHub Actions); nothing above the adapters normalises
    again. The string form is `ecosystem:name==version` (`pypi:requests==2.32.3`), or
    `ecosystem:name` without a version.
    """

    ecosystem: str
    name: str
    version: str | None = None

    def __str__(self) -> str:
        base = f"{self.ecosystem}:{self.name}"
        return f"{base}=={self.version}" if self.version is not None else base

    @property
    def project(self) -> PackageRef:
        """The same package without a version."""
        return self if self.version is None else PackageRef(self.ecosystem, self.name)

    @classmethod
    def parse(cls, text: str, default_ecosystem: str | None = None) -> PackageRef:
        """`eco:name==version`, `eco:name`, or (with `default_ecosystem`) a bare `name`.

        The name is taken as written; normalising it is the ecosystem adapter's job.
        """
        eco, sep, rest = text.partition(":")
        if not sep:
            if default_ecosystem is None:
                raise ValueError(f"{text!r}: expected 'ecosystem:name' (e.g. 'pypi:requests')")
            eco, rest = default_ecosystem, text
        name, sep, version = rest.partition("==")
        eco, name, version = eco.strip(), name.strip(), version.strip()
        if not eco or not name or (sep and not version):
            raise ValueError(f"{text!r}: expected 'ecosystem:name' or 'ecosystem:name==version'")
        return cls(eco, name, version if sep else None)
