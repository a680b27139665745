"""Serving stored media: HTTP range requests over a file, and a WAV view of raw PCM.

Django's FileResponse ignores `Range`, so an <audio> element could not seek without downloading the whole file.
`ranged_response` answers one byte range with 206 and `Content-Range`, an unsatisfiable or malformed bytes range
with 416 and `Content-Range: bytes */<size>`, and no `Range` (or a unit other than bytes, which RFC 9110 says to
ignore) with 200 and the whole body. Several ranges in one header get the first one only: a player never asks for
more, and a multipart/byteranges body is not worth its code here. Bodies are read into memory: replay files are
small (Opus at 24 kbit/s is 180 kB a minute).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date

_RANGE = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


class RangeNotSatisfiable(ValueError):
    pass


@dataclass(frozen=True)
class ByteSource:
    """What is served: an optional prefix (a WAV header) followed by a file's bytes."""

    path: Path
    prefix: bytes = b""

    @property
    def size(self) -> int:
        return len(self.prefix) + self.path.stat().st_size

    def read(self, start: int, end: int) -> bytes:
        """Bytes `start` to `end` inclusive."""
        out = bytearray()
        if start < len(self.prefix):
            out += self.prefix[start:end + 1]
        file_start = max(0, start - len(self.prefix))
        file_end = end - len(self.prefix)
        if file_end >= file_start:
            with self.path.open("rb") as handle:
                handle.seek(file_start)
                out += handle.read(file_end - file_start + 1)
        return bytes(out)


def wav_header(data_bytes: int, *, rate: int, channels: int = 1, sample_width: int = 2) -> bytes:
    """The 44-byte header that makes `data_bytes` of raw PCM a WAV file."""
    byte_rate = rate * channels * sample_width
    return (b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, 1, channels, rate, byte_rate, channels * sample_width, 8 * sample_width)
            + b"data" + struct.pack("<I", data_bytes))


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The (start, end) inclusive byte range `header` asks for in a body of `size` bytes; None to serve it all
    (no header, or a unit other than bytes). Raises RangeNotSatisfiable for a malformed or unsatisfiable range."""
    if not header:
        return None
    unit, _, ranges = header.partition("=")
    if unit.strip().lower() != "bytes":
        return None
    match = _RANGE.match(ranges.split(",")[0])
    if match is None:
        raise RangeNotSatisfiable(header)
    first, last = match.groups()
    if first == "" and last == "":
        raise RangeNotSatisfiable(header)
    if first == "":  # a suffix: the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable(header)
        return max(0, size - suffix), size - 1
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if start >= size or (last != "" and int(last) < start):
        raise RangeNotSatisfiable(header)
    return start, end


def ranged_response(request: HttpRequest, source: ByteSource, *, content_type: str,
                    filename: str = "") -> HttpResponse:
    """200, 206 or 416 for `source` as `request`'s Range header asks (see the module docstring)."""
    size = source.size
    mtime = source.path.stat().st_mtime
    try:
        wanted = parse_range(request.headers.get("Range", ""), size)
    except RangeNotSatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return _common(response, mtime, filename)
    if wanted is None:
        response = HttpResponse(source.read(0, size - 1) if size else b"", content_type=content_type)
    else:
        start, end = wanted
        response = HttpResponse(source.read(start, end), content_type=content_type, status=206)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return _common(response, mtime, filename)


def _common(response: HttpResponse, mtime: float, filename: str) -> HttpResponse:
    response["Accept-Ranges"] = "bytes"
    response["Last-Modified"] = http_date(mtime)
    response["Cache-Control"] = "private, no-transform"
    if filename:
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
