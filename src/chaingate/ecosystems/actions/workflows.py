"""What a GitHub Actions workflow or action file pulls in: every `uses:` and container image,
with where it is written, the path that pulls it in, and what the job exposes to it.

Read from `yamlnodes` (positions kept). A workflow (`.github/workflows/*.yml`) has jobs,
each a reusable-workflow call (`jobs.<id>.uses`) or steps (`steps[*].uses`), plus
`container:` and `services:` images. A composite action (`action.yml`) has `runs.steps`; a
Docker action may name `runs.image: docker://...`. A local action (`uses: ./path`) is
followed into `path/action.yml` (read from disk, never fetched), with the caller's context.

Context is what makes a moved tag dangerous: the job's token permissions (job-level, else
the workflow's top-level default; undeclared means the repository's default), whether the
job can read secrets (`secrets.*` other than GITHUB_TOKEN, or `secrets: inherit`), and
whether the workflow runs on `pull_request_target` (a fork's pull request with the base
repository's token and secrets).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import msgspec
from yaml.nodes import MappingNode, Node, ScalarNode

from chaingate.core.inventory import InventoryError
from chaingate.ecosystems.actions import yamlnodes as y

Kind = Literal["action", "workflow", "docker", "image", "local"]

WRITE = "write-permissions"
SECRETS = "secrets"
PR_TARGET = "pull_request_target"
DEFAULT_TOKEN = "default-permissions"

SHA = re.compile(r"^[0-9a-f]{40}$")
# owner/repo[/path]@ref: GitHub's owner and repository name characters
_REMOTE = re.compile(r"^([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)((?:/[^@]*)?)@(.+)$")
_SECRET = re.compile(r"secrets\s*(?:\.\s*(?!GITHUB_TOKEN\b)\w|\[)")
_MAX_LOCAL_DEPTH = 8


class Use(msgspec.Struct, frozen=True):
    """One reference a workflow or action file makes to code or an image it runs.

    `name`: the package it is (`owner/repo` lower-cased for actions and reusable
    workflows; `docker://image` for images; the path for a local action). `ref`: the tag,
    branch, SHA or image tag/digest as written (None: an image with no tag, i.e.
    `latest`). `start`/`end`: the offsets of the ref within the file's text (`pin` edits
    there); `value_end`: the end of the whole scalar (where a trailing comment goes).
    """

    kind: Kind
    name: str
    spelled: str  # the whole value as written (`actions/checkout@v4`)
    ref: str | None
    file: str
    line: int
    start: int
    end: int
    value_end: int
    via: tuple[str, ...]
    exposure: tuple[str, ...] = ()

    @property
    def pinned(self) -> bool:
        if self.ref is None:
            return False
        if self.kind in ("docker", "image"):
            return self.ref.startswith("sha256:")
        return bool(SHA.match(self.ref))


def read_workflow(path: Path, display: str, root: Path | None) -> list[Use]:
    """The uses of one workflow file; `root` is the repository (for `./local` actions)."""
    text, node, budget = y.document(path, display, "a workflow")
    if node is None:
        return []
    jobs = y.get(node, "jobs", budget)
    if jobs is None:
        raise InventoryError(display, y.line(node), "a workflow needs 'jobs'")
    if not isinstance(jobs, MappingNode):
        raise InventoryError(display, y.line(jobs), "'jobs' must be a mapping")
    triggers = _triggers(y.get(node, "on", budget), budget)
    default = _writes(y.get(node, "permissions", budget), budget)
    out: list[Use] = []
    for job_id, _, job in y.items(jobs, budget):
        if not isinstance(job, MappingNode):
            raise InventoryError(display, y.line(job), f"job {job_id!r} must be a mapping")
        own = _writes(y.get(job, "permissions", budget), budget)
        writes = own if own is not None else default
        exposure = set()
        if writes is None:
            exposure.add(DEFAULT_TOKEN)
        elif writes:
            exposure.add(WRITE)
        if _reads_secrets(job, budget):
            exposure.add(SECRETS)
        if PR_TARGET in triggers:
            exposure.add(PR_TARGET)
        ctx = Context(display, text, root, tuple(sorted(exposure)), budget)
        via = (display, f"job {job_id}")
        called = y.get(job, "uses", budget)
        if called is not None:
            out += ctx.use(called, via, "workflow")
        out += ctx.images(job, via)
        out += ctx.steps(y.get(job, "steps", budget), via, depth=0)
    return out


def read_action(path: Path, display: str, root: Path | None) -> list[Use]:
    """The uses of one action file (`action.yml`): composite steps, a Docker image."""
    text, node, budget = y.document(path, display, "an action")
    if node is None:
        return []
    ctx = Context(display, text, root, (), budget)
    return ctx.action_runs(node, (display,), depth=0)


class Context:
    """One file's text and what its job exposes, while its uses are collected."""

    def __init__(
        self, display: str, text: str, root: Path | None, exposure: tuple[str, ...], b: y.Budget
    ) -> None:
        self.display, self.text, self.root = display, text, root
        self.exposure, self.budget = exposure, b

    def steps(self, steps: Node | None, via: tuple[str, ...], depth: int) -> list[Use]:
        out: list[Use] = []
        for n, step in enumerate(y.elements(steps, self.budget), 1):
            uses = y.get(step, "uses", self.budget)
            if uses is None:
                continue
            label = y.scalar(y.get(step, "name", self.budget)) or y.scalar(
                y.get(step, "id", self.budget)
            )
            where = (*via, f"step {n}" + (f" ({label})" if label else ""))
            out += self.use(uses, where, None, depth)
        return out

    def images(self, job: Node, via: tuple[str, ...]) -> list[Use]:
        out: list[Use] = []
        container = y.get(job, "container", self.budget)
        image = (
            y.get(container, "image", self.budget)
            if isinstance(container, MappingNode)
            else container
        )
        if image is not None:
            out += self.image(image, (*via, "container"))
        for sid, _, service in y.items(y.get(job, "services", self.budget), self.budget):
            image = y.get(service, "image", self.budget)
            if image is not None:
                out += self.image(image, (*via, f"service {sid}"))
        return out

    def image(self, node: Node, via: tuple[str, ...]) -> list[Use]:
        value = self._value(node, "image")
        if value is None or not value.strip() or "${{" in value:
            return []  # an expression: not knowable from the file
        return [self._image_use("image", node, value, value, via)]

    def use(self, node: Node, via: tuple[str, ...], kind: Kind | None, depth: int = 0) -> list[Use]:
        value = self._value(node, "uses")
        if value is None or "${{" in value:
            return []
        if value.startswith("docker://"):
            return [self._image_use("docker", node, value, value[len("docker://") :], via)]
        if value.startswith("./") or value.startswith(".\\"):
            return self._local(node, value, via, depth)
        match = _REMOTE.match(value)
        if match is None:
            raise InventoryError(
                self.display,
                y.line(node),
                f"'uses: {value}' is not owner/repo@ref, owner/repo/path@ref, ./path or "
                "docker://image",
            )
        owner, repo, sub, ref = match.groups()
        if kind is None:
            kind = "workflow" if re.search(r"^/\.github/workflows/", sub) else "action"
        return [self._made(kind, node, f"{owner}/{repo}".lower(), value, ref, via)]

    def action_runs(self, action: Node, via: tuple[str, ...], depth: int) -> list[Use]:
        runs = y.get(action, "runs", self.budget)
        out: list[Use] = []
        image = y.get(runs, "image", self.budget)
        value = y.scalar(image)
        if image is not None and value is not None and value.startswith("docker://"):
            out.append(self._image_use("docker", image, value, value[len("docker://") :], via))
        return out + self.steps(y.get(runs, "steps", self.budget), via, depth)

    def _local(self, node: Node, value: str, via: tuple[str, ...], depth: int) -> list[Use]:
        """A local action: its own uses, read from the repository with this context."""
        if self.root is None or depth >= _MAX_LOCAL_DEPTH:
            return []
        folder = (self.root / value).resolve()
        try:
            folder.relative_to(self.root.resolve())
        except ValueError:
            return []  # outside the repository: not ours to read
        for name in ("action.yml", "action.yaml"):
            path = folder / name
            if path.is_file():
                display = path.relative_to(self.root.resolve()).as_posix()
                text = y.read_text(path, display)
                root_node = y.compose(text, display)
                inner = Context(display, text, self.root, self.exposure, self.budget)
                return inner.action_runs(root_node, (*via, value), depth + 1) if root_node else []
        return []

    def _value(self, node: Node, key: str) -> str | None:
        if not isinstance(node, ScalarNode):
            raise InventoryError(self.display, y.line(node), f"'{key}' must be a string")
        return str(node.value).strip() or None

    def _image_use(
        self, kind: Kind, node: Node, spelled: str, image: str, via: tuple[str, ...]
    ) -> Use:
        name, ref = split_image(image)
        return self._made(kind, node, f"docker://{name}", spelled, ref, via)

    def _made(
        self, kind: Kind, node: Node, name: str, spelled: str, ref: str | None, via: tuple[str, ...]
    ) -> Use:
        """The use written as `spelled` at `node`, its ref at the end of the value."""
        ref_at = len(spelled) - len(ref) if ref is not None else len(spelled)
        start, end, value_end = self._span(node, spelled, ref_at)
        return Use(
            kind=kind,
            name=name,
            spelled=spelled,
            ref=ref,
            file=self.display,
            line=y.line(node),
            start=start,
            end=end,
            value_end=value_end,
            via=(*via, spelled),
            exposure=self.exposure,
        )

    def _span(self, node: Node, value: str, ref_at: int) -> tuple[int, int, int]:
        return y.ref_span(self.text, node, value, ref_at)


def split_image(image: str) -> tuple[str, str | None]:
    """`name`, and its tag or digest (`sha256:...`) or None (no tag: `latest`)."""
    if "@" in image:
        name, _, digest = image.partition("@")
        return name, digest
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1 :]
    return image, None


def _triggers(node: Node | None, budget: y.Budget) -> set[str]:
    text = y.scalar(node)
    if text is not None:
        return {text}
    found = {y.scalar(e) for e in y.elements(node, budget)}
    found |= {k for k, _, _ in y.items(node, budget)}
    return {t for t in found if t}


def _writes(node: Node | None, budget: y.Budget) -> bool | None:
    """Whether a `permissions:` value grants any write; None when not declared."""
    if node is None:
        return None
    text = y.scalar(node)
    if text is not None:
        return text.strip() == "write-all"
    return any(y.scalar(v) == "write" for _, _, v in y.items(node, budget))


def _reads_secrets(job: Node, budget: y.Budget) -> bool:
    if y.scalar(y.get(job, "secrets", budget)) == "inherit":
        return True
    return any(_SECRET.search(str(s.value)) for s in y.scalars(job, budget))
