"""The malicious samples of the evaluation: loading them and building them into the archives
they would be published as.

Each sample is a directory under `eval/malicious/` holding a package's source tree and a
`SAMPLE.md` whose front matter says how it ships:

    ---
    name: ctx
    version: 0.2.6
    archives: sdist wheel          # any of: sdist wheel
    wheel-tag: py3-none-any        # optional, the default
    class: beacon                  # the attack class recall is counted by (issue 15)
    ---

The rest of SAMPLE.md says which incident or public write-up the sample imitates. Building
never runs a sample's code: files are copied into a `name-version/` rooted `.tar.gz` (the
sdist) and/or a wheel (`.whl` zip with a `.dist-info`, build files left out, a leading `src/`
stripped). A file named `*.pyc.src` is shipped as `*.pyc`, compiled (not run) by the builder,
because some attacks ship only bytecode. A file named `*.py.big` is shipped as `*.py` with
9 MB of table data put before its text (a payload past a size limit), and a top-level
`entry_points.txt` goes into the wheel's `.dist-info` (console scripts).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import marshal
import re
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

MALICIOUS = Path(__file__).resolve().parent / "malicious"
ARCHIVE_KINDS = ("sdist", "wheel")
# What an sdist holds but a wheel built from it does not.
_SDIST_ONLY = re.compile(
    r"^(?:setup\.py|setup\.cfg|pyproject\.toml|MANIFEST\.in|PKG-INFO|tox\.ini"
    r"|README(?:\.\w+)?|LICENSE(?:\.\w+)?|CHANGELOG(?:\.\w+)?)$"
)
_EPOCH = (2022, 5, 14, 18, 40, 0)  # a fixed timestamp keeps archives byte-for-byte stable
_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)


@dataclass(frozen=True)
class Sample:
    """One malicious sample: `key` is its directory name under eval/malicious/."""

    key: str
    root: Path
    name: str
    version: str
    archives: tuple[str, ...]
    wheel_tag: str
    title: str
    klass: str = "other"

    def files(self) -> list[tuple[str, bytes]]:
        """The source tree as (posix path, bytes), sorted; SAMPLE.md left out."""
        out: list[tuple[str, bytes]] = []
        for path in sorted(self.root.rglob("*")):
            rel = path.relative_to(self.root).as_posix()
            if not path.is_file() or rel == "SAMPLE.md":
                continue
            if "__pycache__" in rel and not rel.endswith(".pyc.src"):  # local caches
                continue
            data = path.read_bytes()
            if rel.endswith(".pyc.src"):
                rel, data = rel[: -len(".src")], _bytecode(data, rel, "__pycache__/" in rel)
            elif rel.endswith(".py.big"):
                rel, data = rel[: -len(".big")], _padded(data)
            out.append((rel, data))
        return out


def _bytecode(source: bytes, name: str, unchecked: bool = False) -> bytes:
    """A .pyc for `source`: compiled, never executed (header as importlib writes it; in
    `__pycache__` an unchecked-hash one, PEP 552, as `py_compile --invalidation-mode
    unchecked-hash` writes it)."""
    code = compile(source, name.removesuffix(".pyc.src") + ".py", "exec", dont_inherit=True)
    if unchecked:
        flags, key = 0b01, importlib.util.source_hash(source)
        return importlib.util.MAGIC_NUMBER + flags.to_bytes(4, "little") + key + marshal.dumps(code)
    header = importlib.util.MAGIC_NUMBER + (0).to_bytes(4, "little")
    header += (0).to_bytes(4, "little") + len(source).to_bytes(4, "little")
    return header + marshal.dumps(code)


BIG_PADDING = 9 * 1024 * 1024


def _padded(source: bytes) -> bytes:
    """`source` after a 9 MB table literal: a module over the old 8 MB analysis limit. The
    table is hashes (deterministic), so the archive does not look like a decompression bomb."""
    rows = []
    size = 0
    n = 0
    while size < BIG_PADDING:
        digest = hashlib.sha256(n.to_bytes(8, "little")).hexdigest()
        row = f'    "{digest}",\n'.encode()
        rows.append(row)
        size += len(row)
        n += 1
    return b"TABLE = [\n" + b"".join(rows) + b"]\n\n" + source


def load_samples(root: Path = MALICIOUS) -> list[Sample]:
    """Every sample under `root`, sorted by directory name. A SAMPLE.md without valid front
    matter is an error: a sample that silently drops out would flatter recall."""
    samples = []
    for doc in sorted(root.glob("*/SAMPLE.md")):
        text = doc.read_text(encoding="utf-8")
        match = _FRONT.match(text)
        if match is None:
            raise ValueError(f"{doc}: no '---' front matter")
        meta = dict(
            (k.strip(), v.split("#", 1)[0].strip())
            for k, _, v in (line.partition(":") for line in match.group(1).splitlines())
        )
        archives = tuple(meta.get("archives", "sdist").split())
        if not archives or set(archives) - set(ARCHIVE_KINDS):
            raise ValueError(f"{doc}: archives must be some of {ARCHIVE_KINDS}")
        title = next(
            (ln[2:].strip() for ln in text[match.end() :].splitlines() if ln.startswith("# ")),
            doc.parent.name,
        )
        samples.append(
            Sample(
                key=doc.parent.name,
                root=doc.parent,
                name=meta["name"],
                version=meta["version"],
                archives=archives,
                wheel_tag=meta.get("wheel-tag") or "py3-none-any",
                title=title,
                klass=meta.get("class") or "other",
            )
        )
    return samples


def build(sample: Sample, outdir: Path) -> list[Path]:
    """Build the sample's archives into `outdir`; returns their paths (sdist first)."""
    outdir.mkdir(parents=True, exist_ok=True)
    files = sample.files()
    built = []
    if "sdist" in sample.archives:
        built.append(_sdist(sample, files, outdir))
    if "wheel" in sample.archives:
        built.append(_wheel(sample, files, outdir))
    return built


def _metadata(sample: Sample) -> bytes:
    return (
        f"Metadata-Version: 2.1\nName: {sample.name}\nVersion: {sample.version}\n"
        f"Summary: {sample.title}\n"
    ).encode()


def _sdist(sample: Sample, files: list[tuple[str, bytes]], outdir: Path) -> Path:
    base = f"{canonicalize_name(sample.name).replace('-', '_')}-{sample.version}"
    if not any(rel == "PKG-INFO" for rel, _ in files):
        files = [*files, ("PKG-INFO", _metadata(sample))]
    path = outdir / f"{base}.tar.gz"
    mtime = 1652553600  # 2022-05-14
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for rel, data in sorted(files):
            info = tarfile.TarInfo(f"{base}/{rel}")
            info.size, info.mtime = len(data), mtime
            info.mode = 0o755 if data[:4] == b"\x7fELF" else 0o644
            tar.addfile(info, io.BytesIO(data))
    return path


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest},{len(data)}"


def _wheel(sample: Sample, files: list[tuple[str, bytes]], outdir: Path) -> Path:
    dist = canonicalize_name(sample.name).replace("-", "_")
    info = f"{dist}-{sample.version}.dist-info"
    members: list[tuple[str, bytes]] = []
    entry_points: bytes | None = None
    for rel, data in files:
        if rel == "entry_points.txt":
            entry_points = data
            continue
        if "/" not in rel and _SDIST_ONLY.match(rel):
            continue
        members.append((rel.removeprefix("src/"), data))
    top = sorted({m.split("/", 1)[0].removesuffix(".py") for m, _ in members if "/" in m or
                  m.endswith(".py")})  # fmt: skip
    members += [
        (f"{info}/METADATA", _metadata(sample)),
        (
            f"{info}/WHEEL",
            f"Wheel-Version: 1.0\nGenerator: chaingate-eval\nRoot-Is-Purelib: "
            f"{'true' if sample.wheel_tag.endswith('any') else 'false'}\n"
            f"Tag: {sample.wheel_tag}\n".encode(),
        ),
        (f"{info}/top_level.txt", "".join(f"{t}\n" for t in top).encode()),
    ]
    if entry_points is not None:
        members.append((f"{info}/entry_points.txt", entry_points))
    record = "".join(f"{m},{_record_hash(d)}\n" for m, d in members) + f"{info}/RECORD,,\n"
    members.append((f"{info}/RECORD", record.encode()))
    path = outdir / f"{dist}-{sample.version}-{sample.wheel_tag}.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members:
            zi = zipfile.ZipInfo(member, date_time=_EPOCH)
            zi.external_attr = (0o755 if data[:4] == b"\x7fELF" else 0o644) << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(zi, data)
    return path
