"""Where a file stops being UTF-8: a byte offset and line in the file itself.

pandas reads in buffers and reports the offset of a bad byte within its current buffer, which
points nowhere useful in a large file; this finds the first bad byte of the whole file.
"""

from __future__ import annotations

import codecs
import io
from pathlib import Path


def first_non_utf8(data: Path | bytes, chunk: int = 1 << 20) -> tuple[int, int, str] | None:
    """(byte offset, line number, reason) of the first byte that is not UTF-8, or None."""
    stream = io.BytesIO(data) if isinstance(data, bytes) else open(data, "rb")  # noqa: SIM115
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, lines = 0, 1
    with stream:
        while True:
            block = stream.read(chunk)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as e:
                # e.object is the decoder's carried-over bytes followed by this block.
                carried = len(e.object) - len(block)
                at = offset - carried + e.start
                before = block[: max(at - offset, 0)]
                return at, lines + before.count(b"\n"), e.reason
            if not block:
                return None
            offset += len(block)
            lines += block.count(b"\n")
