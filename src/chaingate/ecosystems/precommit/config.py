"""`.pre-commit-config.yaml`: each hook repository and its `rev`, and the packages its hooks
install besides (`additional_dependencies`).

A hook repository is a git URL; on GitHub its name is `github.com/owner/repo` (lower-cased,
without `.git`), and its facts come from the GitHub API like an action's. `repo: local`
and `repo: meta` run nothing fetched and are not packages. `additional_dependencies` are
Python requirements for a `language: python` hook (given in the config, or unsaid, and
parsing as a requirement) and become PyPI packages; anything else (npm's `eslint@8`, a
`language: node` hook, a Ruby gem) is listed as not analysed.
"""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
from yaml.nodes import MappingNode, Node

from chaingate.core.inventory import InventoryError
from chaingate.ecosystems.actions import yamlnodes as y
from chaingate.ecosystems.actions.workflows import Use

_NOT_PYTHON = frozenset({"node", "golang", "rust", "ruby", "docker", "docker_image", "system",
                         "script", "fail", "pygrep", "conda", "coursier", "dart", "dotnet",
                         "haskell", "julia", "lua", "perl", "r", "swift"})  # fmt: skip
_NODE_MIRRORS = re.compile(r"mirrors-(prettier|eslint)|/(prettier|eslint)", re.I)


class ExtraDependency(msgspec.Struct, frozen=True):
    """One `additional_dependencies` entry: `python` True when it is a PyPI requirement."""

    spec: str
    line: int
    repo: str
    hook: str
    python: bool


def repo_name(url: str) -> str:
    """The package name of a hook repository URL: `github.com/owner/repo` for GitHub."""
    text = url.strip().rstrip("/")
    text = re.sub(r"^(?:https?|git|ssh)://", "", text)
    text = re.sub(r"^git@([^:]+):", r"\1/", text)
    text = text.removesuffix(".git")
    return text.lower()


def read_config(path: Path, display: str) -> tuple[list[Use], list[ExtraDependency]]:
    text, node, budget = y.document(path, display, "the configuration")
    if node is None:
        return [], []
    repos = y.get(node, "repos", budget)
    if repos is None:
        raise InventoryError(display, y.line(node), "the configuration needs 'repos'")
    uses: list[Use] = []
    extras: list[ExtraDependency] = []
    for entry in y.elements(repos, budget):
        if not isinstance(entry, MappingNode):
            raise InventoryError(display, y.line(entry), "each entry of 'repos' must be a mapping")
        url_node = y.get(entry, "repo", budget)
        url = y.scalar(url_node)
        if url_node is None or url is None or not url.strip():
            raise InventoryError(display, y.line(entry), "a repository needs 'repo'")
        url = url.strip()
        name = url if url in ("local", "meta") else repo_name(url)
        if url not in ("local", "meta"):  # those run nothing fetched: not packages
            uses.append(_rev(text, entry, url_node, url, name, display, budget))
        for hook in y.elements(y.get(entry, "hooks", budget), budget):
            hook_id = y.scalar(y.get(hook, "id", budget)) or "?"
            language = (y.scalar(y.get(hook, "language", budget)) or "").strip()
            # a local hook's additional_dependencies are installed as any other's
            for dep in y.elements(y.get(hook, "additional_dependencies", budget), budget):
                spec = (y.scalar(dep) or "").strip()
                if spec:
                    python = _python(spec, language, url)
                    extras.append(ExtraDependency(spec, y.line(dep), name, hook_id, python))
    return uses, extras


def _rev(
    text: str, entry: Node, url_node: Node, url: str, name: str, display: str, budget: y.Budget
) -> Use:
    """The hook repository at its `rev`, with the offsets of the rev (for `pin`)."""
    rev_node = y.get(entry, "rev", budget)
    rev = y.scalar(rev_node)
    if rev_node is None or rev is None or not rev.strip():
        raise InventoryError(display, y.line(url_node), f"repository {url!r} needs 'rev'")
    start, end, value_end = y.ref_span(text, rev_node, rev.strip(), 0)
    return Use(
        kind="action",  # a git repository at a ref: the same shape as an action's
        name=name,
        spelled=rev.strip(),
        ref=rev.strip(),
        file=display,
        line=y.line(rev_node),
        start=start,
        end=end,
        value_end=value_end,
        via=(display, url),
    )


def _python(spec: str, language: str, url: str) -> bool:
    if language:
        return language == "python"
    if _NODE_MIRRORS.search(url) or language in _NOT_PYTHON:
        return False
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(spec)
    except InvalidRequirement:
        return False
    return req.url is None  # `eslint@8.0.0` reads as a URL requirement: npm's spelling
