"""Read a tabular input file: refuse binaries, decode the text, tell JSONL from CSV/TSV and iterate its rows.

Decoding: UTF-8 with or without BOM, UTF-16 with BOM (Excel "Unicode text"), else GB18030 (Chinese
exports); ``encoding=`` forces one. Format: by extension (.jsonl/.ndjson/.json-lines, .csv/.tsv) confirmed by
the content, or sniffed from the content for any other name. Anything else raises InputError naming the file
and what was expected.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from agent_crm.errors import InputError

_JSONL_EXT = frozenset({".jsonl", ".ndjson", ".json-lines", ".jsonlines"})
_CSV_EXT = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
_DELIMITERS = (",", "\t", ";", "|")
_SNIFF_LINES = 50
_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (an .xlsx/.docx workbook or document is one)"),
    (b"\xd0\xcf\x11\xe0", "a legacy Office document (.xls/.doc)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"SQLite format 3", "an SQLite database"),
    (b"{\\rtf", "an RTF document"),
)


@dataclass(frozen=True, slots=True)
class TableSpec:
    """What a caller expects of a file: a label for messages and the header columns it needs."""

    what: str
    """What the file should hold, for messages (e.g. ``interaction records``)."""
    required: tuple[str, ...]
    """Columns a CSV header must have."""
    any_of: tuple[str, ...] = ()
    """Columns of which a CSV header must have at least one."""
    known: frozenset[str] = frozenset()
    """Column names matched case-insensitively (normalised to lower case); others are kept as written."""

    def expected(self) -> str:
        """Describe the accepted formats in one sentence."""
        cols = ", ".join(self.required)
        if self.any_of:
            cols += " and " + " or ".join(self.any_of)
        return (
            "Expected JSONL (.jsonl/.ndjson: one JSON object per line) or CSV/TSV (.csv/.tsv, UTF-8 or "
            f"GB18030) with a header row containing {cols}."
        )


@dataclass(frozen=True, slots=True)
class TableFile:
    """A decoded input file and its detected format."""

    name: str
    text: str
    encoding: str
    file_hash: str
    format: str
    """``jsonl``, ``csv`` or ``tsv``."""
    delimiter: str = ","
    header: tuple[str, ...] = ()
    """Normalised CSV header (empty for JSONL)."""


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One CSV data row: where it starts, its raw text, its cells keyed by header, or why it is unusable."""

    line: int
    raw: str
    cells: dict[str, str] | None
    problem: str | None = None


def read_table_file(path: str | Path, spec: TableSpec, *, encoding: str | None = None) -> TableFile:
    """Read, decode and classify a file, or raise InputError naming the file and what was expected."""
    name = str(path)
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{name}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory, not a file") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read file: {exc.strerror or exc}") from None
    file_hash = hashlib.sha256(data).hexdigest()
    _refuse_binary(data, name, spec, encoding)
    text, used = decode_bytes(data, name, encoding)
    ext = p.suffix.lower()
    if ext in _JSONL_EXT:
        _check_jsonl(text, name, spec)
        return TableFile(name, text, used, file_hash, "jsonl")
    if ext in _CSV_EXT:
        delimiter, header = _csv_header(text, name, spec, _CSV_EXT[ext])
        return TableFile(name, text, used, file_hash, _csv_format(delimiter), delimiter, header)
    first = _first_line(text)
    if first is None:
        raise InputError(f"{name}: the file is empty and its name has no known extension. {spec.expected()}")
    if first.startswith(("{", "[")):
        _check_jsonl(text, name, spec)
        return TableFile(name, text, used, file_hash, "jsonl")
    delimiter, header = _csv_header(text, name, spec, ",")
    return TableFile(name, text, used, file_hash, _csv_format(delimiter), delimiter, header)


def _csv_format(delimiter: str) -> str:
    return "tsv" if delimiter == "\t" else "csv"


def _refuse_binary(data: bytes, name: str, spec: TableSpec, encoding: str | None) -> None:
    """Raise InputError for PDFs, archives, images, office files and other binary content."""
    for magic, label in _MAGIC:
        if data.startswith(magic):
            raise InputError(
                f"{name}: this is {label}, not {spec.what}. {spec.expected()} "
                "Export the data as CSV (UTF-8) or JSONL first."
            )
    wide = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
        encoding is not None and ("16" in encoding or "32" in encoding)
    )
    if not wide and b"\x00" in data[:8192]:
        raise InputError(
            f"{name}: this is a binary file (it contains NUL bytes), not {spec.what}. {spec.expected()}"
        )


def decode_bytes(data: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode file bytes; return (text without BOM, encoding used) or raise InputError with the bad offset."""
    if encoding:
        try:
            text = data.decode(encoding)
        except LookupError:
            raise InputError(f"{name}: unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name}: cannot decode as {encoding}: invalid byte 0x{data[exc.start]:02x} "
                f"at offset {exc.start}"
            ) from None
        return text.removeprefix("\ufeff"), codecs.lookup(encoding).name
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name}: starts with a UTF-8 byte order mark but has an invalid UTF-8 byte at offset "
                f"{exc.start + 3}; fix the file or pass encoding="
            ) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16").removeprefix("\ufeff"), "utf-16"
        except UnicodeDecodeError:
            raise InputError(f"{name}: starts with a UTF-16 byte order mark but is not UTF-16") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise InputError(
            f"{name}: not UTF-8 text (invalid byte 0x{data[first_bad]:02x} at offset {first_bad}) and not "
            "GB18030 either; re-export as UTF-8 or pass the file's encoding (e.g. encoding='big5')"
        ) from None


def _first_line(text: str) -> str | None:
    """Return the first non-blank line, stripped, or None for an empty text."""
    for line in io.StringIO(text):
        stripped = line.strip()
        if stripped:
            return stripped
    return None


def _check_jsonl(text: str, name: str, spec: TableSpec) -> None:
    """Raise InputError when the text is not JSON Lines (a JSON array, prose, CSV, ...)."""
    sample = [s for s in (ln.strip() for ln in text.split("\n", 4 * _SNIFF_LINES)[: 4 * _SNIFF_LINES]) if s]
    sample = sample[:_SNIFF_LINES]
    if not sample:
        return
    if sample[0].startswith("["):
        raise InputError(
            f"{name}: this is a JSON array, not JSON Lines. {spec.expected()} "
            "Convert it with e.g. `jq -c '.[]' in.json > out.jsonl`."
        )
    objects = sum(1 for s in sample if s.startswith("{"))
    if objects * 2 < len(sample):
        hint = " It looks like CSV: name it .csv." if "," in sample[0] and "{" not in sample[0] else ""
        raise InputError(
            f"{name}: does not look like JSON Lines: only {objects} of the first {len(sample)} non-empty "
            f"lines are JSON objects. {spec.expected()}{hint}"
        )


def _normalise_header(cells: list[str], spec: TableSpec) -> list[str]:
    out = []
    for position, cell in enumerate(cells, 1):
        col = cell.strip().removeprefix("\ufeff").strip() or f"column_{position}"
        out.append(col.lower() if col.lower() in spec.known else col)
    return out


def _csv_header(text: str, name: str, spec: TableSpec, default: str) -> tuple[str, tuple[str, ...]]:
    """Find the delimiter whose header row has the required columns; return (delimiter, header)."""
    first = _first_line(text)
    if first is None:
        raise InputError(f"{name}: the file is empty (no header row). {spec.expected()}")
    candidates = (default, *(d for d in _DELIMITERS if d != default))
    default_header: list[str] = []
    for delimiter in candidates:
        header = _normalise_header(next(csv.reader([first], delimiter=delimiter)), spec)
        if delimiter == default:
            default_header = header
        cols = set(header)
        if all(c in cols for c in spec.required) and (not spec.any_of or any(c in cols for c in spec.any_of)):
            dupes = sorted({c for c in header if header.count(c) > 1})
            if dupes:
                raise InputError(f"{name}: the header row repeats column(s) {', '.join(dupes)}")
            return delimiter, tuple(header)
    cols = set(default_header)
    missing = [c for c in spec.required if c not in cols]
    if spec.any_of and not any(c in cols for c in spec.any_of):
        missing.append(" or ".join(spec.any_of))
    hint = " It looks like JSON Lines: name it .jsonl." if first.startswith("{") else ""
    shown = ", ".join(c for c in default_header[:12] if c) or "none"
    raise InputError(
        f"{name}: not a usable CSV for {spec.what}: the header row (line 1) lacks {', '.join(missing)} "
        f"(found: {shown}). {spec.expected()}{hint}"
    )


def iter_jsonl_lines(text: str) -> Iterator[tuple[int, str]]:
    """Yield (1-based line number, line text) for every non-blank line."""
    for number, line in enumerate(text.split("\n"), 1):
        if line and not line.isspace():
            yield number, line.rstrip("\r")


def iter_csv_rows(table: TableFile) -> Iterator[CsvRow]:
    """Yield the data rows of a CSV/TSV file with the physical line each row starts on (header is line 1).

    Parsing is strict: a quote left open to the end of the file, or text after a closing quote, makes the
    row an issue instead of silently swallowing the following lines.
    """
    lines = list(io.StringIO(table.text, newline=""))
    reader = csv.reader(lines, delimiter=table.delimiter, strict=True)
    header = table.header
    width = len(header)
    seen_header = False
    prev = 0
    while True:
        try:
            cells = next(reader)
            problem = None
        except StopIteration:
            return
        except csv.Error as exc:
            cells, problem = [], f"unreadable CSV row: {exc}"
        start, end = prev + 1, reader.line_num
        prev = end
        if problem is None and not any(c.strip() for c in cells):
            continue
        if not seen_header:
            seen_header = True
            if problem is None:
                continue
        raw = "".join(lines[start - 1 : end]).rstrip("\r\n")
        if problem is None and len(cells) != width:
            problem = f"row has {len(cells)} cells but the header has {width}"
        if problem is not None and end > start:
            problem += f" (the row spans lines {start}-{end}: check for an unbalanced quote)"
        if problem is not None:
            yield CsvRow(start, raw, None, problem)
        else:
            yield CsvRow(start, raw, dict(zip(header, cells, strict=True)))
