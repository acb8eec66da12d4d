"""The side files of a processed log, written while it is read and read by the views.

- `tids.u32`: the template id of every line (4 bytes a line, little-endian);
- `offsets.u64`: the byte offset of every BLOCK-th line, to jump to any line;
- `plain.log`: a decompressed copy when the upload was gzip, so lines can be shown and searched
  without decompressing the whole file each time.
"""

from __future__ import annotations

import shutil
import sys
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import IO

BLOCK = 256
CHUNK = 1 << 18  # template ids read or written at a time
MAX_SCAN_BYTES = 256 << 20  # one search request reads at most this much, then offers "more"
MAX_LINE = 4000  # characters of a line shown


def _little(a: array) -> array:  # type: ignore[type-arg]
    if sys.byteorder != "little":
        a.byteswap()
    return a


class IndexWriter:
    """Receives every line of a log in order (the `Sink` of `analysis.analyze`)."""

    def __init__(self, directory: Path, *, copy: bool) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.tids: array[int] = array("I")
        self.offsets: array[int] = array("Q")
        self.n = 0
        self.plain_offset = 0
        self._tids_file = (directory / "tids.u32").open("wb")
        self._plain: IO[bytes] | None = (directory / "plain.log").open("wb") if copy else None

    def add(self, tid: int, offset: int, raw: bytes) -> None:
        if self._plain is not None:
            offset = self.plain_offset
            self._plain.write(raw)
            self.plain_offset += len(raw)
        if self.n % BLOCK == 0:
            self.offsets.append(offset)
        self.n += 1
        self.tids.append(tid)
        if len(self.tids) >= CHUNK:
            self._flush()

    def _flush(self) -> None:
        _little(self.tids).tofile(self._tids_file)
        self.tids = array("I")

    def close(self) -> None:
        self._flush()
        self._tids_file.close()
        with (self.directory / "offsets.u64").open("wb") as f:
            _little(self.offsets).tofile(f)
        if self._plain is not None:
            self._plain.close()


def remove(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)


class LogLines:
    """Read access to a processed log's lines by number, by template and by text."""

    def __init__(self, directory: Path, text_path: Path, lines: int) -> None:
        self.directory, self.lines = directory, lines
        plain = directory / "plain.log"
        self.text_path = plain if plain.exists() else text_path
        self._offsets: array[int] | None = None

    def offsets(self) -> array[int]:
        if self._offsets is None:
            path = self.directory / "offsets.u64"
            data: array[int] = array("Q")
            data.frombytes(path.read_bytes())
            self._offsets = _little(data)
        return self._offsets

    def _read_from(self, line: int) -> Iterator[tuple[int, str]]:
        """Lines (number, text) from `line` on; numbers start at 0."""
        offsets = self.offsets()
        block = min(line // BLOCK, len(offsets) - 1)
        if block < 0:
            return
        with self.text_path.open("rb") as f:
            f.seek(offsets[block])
            n = block * BLOCK
            for raw in f:
                if n >= line:
                    yield n, raw.decode("utf-8", "replace").rstrip("\r\n")[:MAX_LINE]
                n += 1
                if n >= self.lines:
                    return

    def read(self, start: int, count: int) -> list[tuple[int, str]]:
        out = []
        for item in self._read_from(max(0, start)):
            out.append(item)
            if len(out) >= count:
                break
        return out

    def at(self, numbers: list[int]) -> list[tuple[int, str]]:
        """The lines with these numbers (ascending), read with one open of the file: a page of a
        template's lines jumps forward block by block instead of reopening the file per line."""
        out: list[tuple[int, str]] = []
        offsets = self.offsets()
        if not numbers or not offsets:
            return out
        with self.text_path.open("rb") as f:
            at = -1  # the number of the line the file position is at; -1 before any seek
            for n in numbers:
                if n >= self.lines:
                    break
                start = n // BLOCK * BLOCK
                if at < 0 or n < at or start > at:
                    f.seek(offsets[n // BLOCK])
                    at = start
                while at < n:
                    f.readline()
                    at += 1
                raw = f.readline()
                at += 1
                out.append((n, raw.decode("utf-8", "replace").rstrip("\r\n")[:MAX_LINE]))
        return out

    def template_lines(
        self, tids: set[int], after: int, limit: int
    ) -> tuple[list[int], int | None]:
        """Numbers of up to `limit` lines of these templates after line `after` (exclusive), and
        the cursor for the next page (None at the end)."""
        found: list[int] = []
        start = after + 1
        with (self.directory / "tids.u32").open("rb") as f:
            f.seek(start * 4)
            while True:
                chunk: array[int] = array("I")
                data = f.read(CHUNK * 4)
                if not data:
                    return found, None
                chunk.frombytes(data)
                _little(chunk)
                for i, tid in enumerate(chunk):
                    if tid in tids:
                        found.append(start + i)
                        if len(found) >= limit:
                            return found, start + i
                start += len(chunk)

    def search(
        self, needle: str, after: int, limit: int
    ) -> tuple[list[tuple[int, str]], int | None]:
        """Lines containing `needle` (case-insensitive) after line `after`, and the cursor for
        more (None when the end of the log was reached)."""
        needle_b = needle.lower().encode()
        found: list[tuple[int, str]] = []
        offsets = self.offsets()
        start = after + 1
        block = start // BLOCK
        if block >= len(offsets):
            return found, None
        scanned = 0
        with self.text_path.open("rb") as f:
            f.seek(offsets[block])
            n = block * BLOCK
            for raw in f:
                if n >= self.lines:
                    break
                if n >= start and needle_b in raw.lower():
                    found.append((n, raw.decode("utf-8", "replace").rstrip("\r\n")[:MAX_LINE]))
                    if len(found) >= limit:
                        return found, n
                scanned += len(raw)
                if scanned > MAX_SCAN_BYTES:
                    return found, n
                n += 1
        return found, None
