"""Streaming ``multipart/form-data`` uploads: files written to disk part by part, size capped while reading.

The body is consumed chunk by chunk as the client sends it; the moment more than ``max_bytes`` have arrived
the upload is refused (413) without reading the rest, and a ``Content-Length`` above the cap is refused
before the first byte is read. File parts are written straight to a directory (never held whole in memory);
form fields without a file name are ignored.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from email.message import Message
from pathlib import Path
from typing import BinaryIO

from agent_crm.api.errors import APIError

ALLOWED_SUFFIXES = (".jsonl", ".ndjson", ".csv", ".tsv", ".md", ".markdown", ".txt")
"""File types the ingest pipeline reads (interaction logs, customer directories, knowledge documents)."""
MAX_FILES = 100
MAX_HEADER_BYTES = 16 * 1024
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def too_large(max_bytes: int) -> APIError:
    """The 413 error for an upload above the cap."""
    return APIError(413, f"upload larger than the limit of {max_bytes} bytes", code="payload_too_large")


def boundary_of(content_type: str | None) -> bytes:
    """The multipart boundary of a Content-Type header; 422 unless it is multipart/form-data with one."""
    msg = Message()
    msg["content-type"] = content_type or ""
    boundary = msg.get_param("boundary")
    if msg.get_content_type() != "multipart/form-data" or not isinstance(boundary, str) or not boundary:
        raise APIError(422, "send the files as multipart/form-data (field 'files')", code="invalid_value",
                       param="files")
    if len(boundary) > 200:
        raise APIError(422, "multipart boundary too long", code="invalid_value", param="files")
    return boundary.encode("latin-1")


def safe_filename(raw: str, taken: set[str]) -> str:
    """A file name safe to create (base name, safe characters, known suffix, unique within the upload)."""
    base = raw.replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = _SAFE_NAME.sub("_", base).strip("._") or "upload"
    if not name.lower().endswith(ALLOWED_SUFFIXES):
        raise APIError(422, f"file {base[:80]!r}: unsupported type; send {', '.join(ALLOWED_SUFFIXES)}",
                       code="invalid_value", param="files")
    candidate, i = name, 1
    while candidate in taken:
        stem, dot, suffix = name.rpartition(".")
        candidate = f"{stem}-{i}{dot}{suffix}"
        i += 1
    taken.add(candidate)
    return candidate


def _part_filename(header_block: bytes) -> str | None:
    msg = Message()
    for line in header_block.decode("utf-8", errors="replace").split("\r\n"):
        name, sep, value = line.partition(":")
        if sep:
            msg[name.strip()] = value.strip()
    if msg.get("content-disposition") is None:
        raise APIError(422, "multipart part without Content-Disposition", code="invalid_value", param="files")
    filename = msg.get_filename()
    return filename if filename else None


class _Parser:
    """Incremental multipart parser writing file parts into ``target``."""

    def __init__(self, boundary: bytes, target: Path) -> None:
        self.delim = b"--" + boundary
        self.sep = b"\r\n" + self.delim
        self.target = target
        self.buf = b""
        self.state = "preamble"
        self.out: BinaryIO | None = None
        self.files: list[Path] = []
        self.taken: set[str] = set()

    def feed(self, data: bytes) -> None:
        """Consume the next bytes of the body."""
        self.buf += data
        while self._step():
            pass

    def _step(self) -> bool:
        if self.state == "preamble":
            i = self.buf.find(self.delim)
            if i < 0:
                self.buf = self.buf[-len(self.delim):]
                return False
            self.buf = self.buf[i + len(self.delim):]
            self.state = "after_delim"
            return True
        if self.state == "after_delim":
            if len(self.buf) < 2:
                return False
            if self.buf.startswith(b"--"):
                self.state = "done"
                return False
            if not self.buf.startswith(b"\r\n"):
                raise APIError(422, "malformed multipart body", code="invalid_value", param="files")
            self.buf = self.buf[2:]
            self.state = "headers"
            return True
        if self.state == "headers":
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > MAX_HEADER_BYTES:
                    raise APIError(422, "multipart part headers too large", code="invalid_value",
                                   param="files")
                return False
            filename = _part_filename(self.buf[:end])
            self.buf = self.buf[end + 4:]
            self._open(filename)
            self.state = "body"
            return True
        if self.state == "body":
            i = self.buf.find(self.sep)
            if i < 0:
                keep = len(self.sep) - 1
                if len(self.buf) > keep:
                    self._write(self.buf[:-keep])
                    self.buf = self.buf[-keep:]
                return False
            self._write(self.buf[:i])
            self.close()
            self.buf = self.buf[i + len(self.sep):]
            self.state = "after_delim"
            return True
        return False

    def _open(self, filename: str | None) -> None:
        if filename is None:
            self.out = None
            return
        if len(self.files) >= MAX_FILES:
            raise APIError(422, f"at most {MAX_FILES} files per upload", code="invalid_value", param="files")
        path = self.target / safe_filename(filename, self.taken)
        self.out = path.open("wb")
        self.files.append(path)

    def _write(self, data: bytes) -> None:
        if self.out is not None and data:
            self.out.write(data)

    def close(self) -> None:
        """Close the file being written, if any."""
        if self.out is not None:
            self.out.close()
            self.out = None


async def save_multipart(
    chunks: AsyncIterator[bytes], content_type: str | None, target: Path, max_bytes: int,
    content_length: str | None = None,
) -> list[Path]:
    """Write the file parts of a multipart body into ``target``; return their paths in upload order.

    Raises:
        APIError: 413 as soon as the body exceeds ``max_bytes``; 422 for a malformed body or a file type the
            ingest pipeline does not read, or when the body has no file.
    """
    if content_length is not None and content_length.isdigit() and int(content_length) > max_bytes:
        raise too_large(max_bytes)
    parser = _Parser(boundary_of(content_type), target)
    target.mkdir(parents=True, exist_ok=True)
    received = 0
    try:
        async for data in chunks:
            received += len(data)
            if received > max_bytes:
                raise too_large(max_bytes)
            parser.feed(data)
    finally:
        parser.close()
    if parser.state != "done":
        raise APIError(422, "incomplete multipart body (no closing boundary)", code="invalid_value",
                       param="files")
    if not parser.files:
        raise APIError(422, "no file in the upload: send one or more files in the 'files' field",
                       code="invalid_value", param="files")
    return parser.files
