"""Image files checked from their headers and trailers, without decoding them.

`from_image_directory` reads a few bytes at the start and the end of every
file when the pipeline is built: the format's signature, the size, and the
end marker a complete file carries (PNG's ``IEND`` chunk, JPEG's ``EOI``,
GIF's trailer, BMP's declared file size). A file that is not an image, is cut
short, or has another size than the rest is then named before training,
instead of stopping an epoch with ``Invalid PNG data, size 1586``.

Why our own code: TensorFlow reads an image's size only by decoding it, and
Pillow is not a dependency. Damage inside the compressed data is not visible
from the outside; ``verify=True`` decodes every file once to find it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tfstarter.errors import CorruptFileError

_PNG = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"IEND\xaeB`\x82"
# JPEG start-of-frame markers (they carry the size); C4, C8 and CC are not.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
# JPEG markers without a length field.
_STANDALONE = {0x01, *range(0xD0, 0xD8)}
_TAIL = 64


@dataclass(frozen=True)
class ImageHeader:
    """What the header of an image file says.

    Attributes:
        format: ``"png"``, ``"jpeg"``, ``"gif"`` or ``"bmp"``.
        height: the height in pixels.
        width: the width in pixels.
    """

    format: str
    height: int
    width: int


def _corrupt(path: Path, problem: str) -> CorruptFileError:
    return CorruptFileError(
        f"{os.fspath(path)} {problem}. Remove or replace it (or re-export it from "
        f"its source)."
    )


def _tail(stream: BinaryIO, size: int) -> bytes:
    stream.seek(max(0, size - _TAIL))
    return stream.read().rstrip(b"\x00")


def _png(path: Path, head: bytes, stream: BinaryIO, size: int) -> ImageHeader:
    if len(head) < 24 or head[12:16] != b"IHDR":
        raise _corrupt(path, "is a PNG file cut short inside its header")
    width = int.from_bytes(head[16:20], "big")
    height = int.from_bytes(head[20:24], "big")
    if not _tail(stream, size).endswith(_PNG_END):
        raise _corrupt(path, "is a truncated PNG file (no IEND chunk at its end)")
    return ImageHeader("png", height, width)


def _gif(path: Path, head: bytes, stream: BinaryIO, size: int) -> ImageHeader:
    if len(head) < 10:
        raise _corrupt(path, "is a GIF file cut short inside its header")
    width = int.from_bytes(head[6:8], "little")
    height = int.from_bytes(head[8:10], "little")
    if not _tail(stream, size).endswith(b";"):
        raise _corrupt(path, "is a truncated GIF file (no trailer at its end)")
    return ImageHeader("gif", height, width)


def _bmp(path: Path, head: bytes, size: int) -> ImageHeader:
    if len(head) < 26:
        raise _corrupt(path, "is a BMP file cut short inside its header")
    declared = int.from_bytes(head[2:6], "little")
    if declared and size < declared:
        raise _corrupt(
            path, f"is a truncated BMP file ({size} of its {declared} bytes)"
        )
    width = int.from_bytes(head[18:22], "little", signed=True)
    height = int.from_bytes(head[22:26], "little", signed=True)
    return ImageHeader("bmp", abs(height), abs(width))


def _jpeg(path: Path, stream: BinaryIO, size: int) -> ImageHeader:
    position = 2
    found: ImageHeader | None = None
    while found is None:
        stream.seek(position)
        marker = stream.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            raise _corrupt(path, "is a JPEG file cut short before its image data")
        kind = marker[1]
        if kind == 0xFF:  # fill byte
            position += 1
            continue
        if kind in _STANDALONE:
            position += 2
            continue
        segment = stream.read(7)
        if len(segment) < 2:
            raise _corrupt(path, "is a JPEG file cut short inside a header segment")
        length = int.from_bytes(segment[:2], "big")
        if kind in _SOF:
            if len(segment) < 7:
                raise _corrupt(path, "is a JPEG file cut short inside its header")
            height = int.from_bytes(segment[3:5], "big")
            width = int.from_bytes(segment[5:7], "big")
            found = ImageHeader("jpeg", height, width)
        if kind == 0xD9 or length < 2:
            raise _corrupt(path, "is a JPEG file without image data")
        position += 2 + length
    if b"\xff\xd9" not in _tail(stream, size):
        raise _corrupt(path, "is a truncated JPEG file (no end-of-image marker)")
    return found


def read_header(path: Path) -> ImageHeader:
    """Read the format and size of an image file, and check that it is complete.

    Raises:
        CorruptFileError: naming the file if it is not a PNG, JPEG, GIF or
            BMP image, or its header or end is missing.

    Examples:
        >>> import tempfile, tensorflow as tf
        >>> file = Path(tempfile.mkdtemp()) / "a.png"
        >>> _ = file.write_bytes(
        ...     tf.io.encode_png(tf.zeros([3, 5, 1], tf.uint8)).numpy()
        ... )
        >>> read_header(file)
        ImageHeader(format='png', height=3, width=5)
        >>> _ = file.write_bytes(file.read_bytes()[:-20])
        >>> read_header(file)
        Traceback (most recent call last):
        ...
        tfstarter.errors.CorruptFileError: ... is a truncated PNG file ...
    """
    try:
        with path.open("rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            head = stream.read(32)
            if head.startswith(_PNG):
                return _png(path, head, stream, size)
            if head[:2] == b"\xff\xd8":
                return _jpeg(path, stream, size)
            if head[:6] in (b"GIF87a", b"GIF89a"):
                return _gif(path, head, stream, size)
            if head[:2] == b"BM":
                return _bmp(path, head, size)
    except CorruptFileError:
        raise
    except OSError as err:
        raise _corrupt(path, f"could not be read ({err.strerror})") from None
    shown = "nothing (an empty file)" if not head else repr(head[:8])
    raise _corrupt(
        path, f"is not a PNG, JPEG, GIF or BMP image (it starts with {shown})"
    )
