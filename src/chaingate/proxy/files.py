"""Distribution files and their PEP 658 metadata, kept by digest under the cache directory.

A file is downloaded from the upstream into a temporary file, its SHA-256 checked against
the digest the upstream's page announced, and only then moved into the cache and served:
no byte of a file that does not match reaches a client, and nothing of it is kept. A
file the page announces without a SHA-256 is not served (it could not be verified).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import uuid
from pathlib import Path

from chaingate.net.atomic import private_dirs
from chaingate.net.http import FetchError
from chaingate.proxy.pages import FileLink
from chaingate.proxy.upstream import Upstream

MAX_FILE_BYTES = 2 * 1024**3  # larger than any file PyPI accepts (its default limit: 100 MB)
MAX_METADATA_BYTES = 16 * 1024**2
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class FileError(Exception):
    """A file the proxy will not serve: `status` (502 for the upstream's fault) and why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class FileCache:
    """Verified files under `<root>/sha256/<ab>/<digest>`."""

    def __init__(self, root: Path, upstream: Upstream, max_bytes: int = MAX_FILE_BYTES) -> None:
        self.root = root
        self.upstream = upstream
        self.max_bytes = max_bytes
        private_dirs(root / "sha256")
        private_dirs(root / "partial")
        self._locks: dict[str, asyncio.Lock] = {}
        self.mismatches = 0
        self.downloads = 0

    def path(self, digest: str) -> Path:
        return self.root / "sha256" / digest[:2] / digest

    async def get(self, link: FileLink, metadata: bool = False) -> Path:
        """The verified file (or its `.metadata`), from the cache or the upstream."""
        if metadata:
            if link.core_metadata is False:
                raise FileError(404, f"the index offers no metadata file for {link.filename}")
            digest = (
                link.core_metadata.get("sha256") if isinstance(link.core_metadata, dict) else None
            )
            url, limit = f"{link.url.split('#', 1)[0]}.metadata", MAX_METADATA_BYTES
        else:
            digest, url, limit = link.sha256, link.url.split("#", 1)[0], self.max_bytes
        what = f"{link.filename}{'.metadata' if metadata else ''}"
        if digest is None or not _SHA256.match(digest):
            raise FileError(502, f"the upstream announced no sha256 for {what}: not verifiable")
        if link.size is not None and not metadata and link.size > self.max_bytes:
            raise FileError(502, f"{what} is {link.size} bytes, over the proxy's limit")
        path = self.path(digest)
        if path.is_file():
            return path
        lock = self._locks.setdefault(digest, asyncio.Lock())
        async with lock:
            if path.is_file():
                return path
            private_dirs(path.parent)
            partial = self.root / "partial" / uuid.uuid4().hex
            try:
                self.downloads += 1
                await self.upstream.download(url, partial, digest, limit)
                os.replace(partial, path)
            except FetchError as exc:
                if "sha256 mismatch" in str(exc):
                    self.mismatches += 1
                    raise FileError(
                        502,
                        f"{what}: the upstream's bytes do not match the sha256 its page "
                        f"announced ({digest}); refused, nothing kept",
                    ) from None
                raise FileError(502, f"{what}: cannot fetch from the upstream: {exc}") from None
            finally:
                with contextlib.suppress(FileNotFoundError):
                    partial.unlink()
                self._locks.pop(digest, None)
        return path
