#!/usr/bin/env python3
"""Writes the small source files the conformance cases in `sources/` read.

Run from this folder: `python3 make_assets.py` (plain Python, no packages). The
video `two.mkv` is made with ffmpeg from the two frames `frame0.png`, `frame1.png`:
`ffmpeg -y -framerate 2 -i frame%d.png -c:v png two.mkv`; the JPEG `gray.jpg`
with `ffmpeg -y -f lavfi -i color=c=0x808080:s=8x8 -frames:v 1 -q:v 1 gray.jpg`.
"""
import struct
import zlib


def png(path, width, height, rows, channels):
    """rows: list of rows, each a flat list of bytes (RGB or RGBA)."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    color = 6 if channels == 4 else 2
    raw = b"".join(b"\x00" + bytes(r) for r in rows)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    with open(path, "wb") as f:
        f.write(data)


def wav(path, rate, channels, bits, fmt, frames):
    """frames: list of tuples of raw sample values (ints, or floats for fmt 3)."""
    if fmt == 3 and bits == 64:
        pack = lambda v: struct.pack("<d", v)
    elif fmt == 3:
        pack = lambda v: struct.pack("<f", v)
    elif bits == 8:
        pack = lambda v: struct.pack("<B", v)
    elif bits == 16:
        pack = lambda v: struct.pack("<h", v)
    elif bits == 24:
        pack = lambda v: struct.pack("<i", v)[:3]
    else:
        pack = lambda v: struct.pack("<i", v)
    data = b"".join(pack(v) for frame in frames for v in frame)
    align = channels * bits // 8
    fmt_chunk = struct.pack("<HHIIHH", fmt, channels, rate, rate * align, align, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt_chunk
    body += b"data" + struct.pack("<I", len(data)) + data
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)


# 2x2 RGBA: red | half-transparent green / blue | (51, 102, 153) fully transparent.
png("quad.png", 2, 2, [[255, 0, 0, 255, 0, 255, 0, 128], [0, 0, 255, 255, 51, 102, 153, 0]], 4)
# 1x1 RGB without alpha.
png("rgb.png", 1, 1, [[10, 20, 30]], 3)
# The two frames of the camera video (2x2 each, one colour).
png("frame0.png", 2, 2, [[255, 0, 0] * 2, [255, 0, 0] * 2], 3)
png("frame1.png", 2, 2, [[0, 0, 255] * 2, [0, 0, 255] * 2], 3)
# Not an image at all.
with open("broken.png", "w") as f:
    f.write("this is not a PNG\n")
# 16-bit mono at 4 Hz: 0, 0.5, -0.5, 32767/32768.
wav("mono16.wav", 4, 1, 16, 1, [(0,), (16384,), (-16384,), (32767,)])
# 32-bit float stereo at 4 Hz.
wav("stereo_f32.wav", 4, 2, 32, 3, [(0.25, -0.25), (0.5, -0.5), (1.5, -2.0)])
# 64-bit float stereo at 4 Hz (hound cannot read these; weft reads them itself).
wav("stereo_f64.wav", 4, 2, 64, 3, [(0.25, -0.25), (0.1, -0.5), (1.5, -2.0)])
# 8-bit (unsigned in the file) mono at 2 Hz: 0, 0.5, -1.
wav("u8.wav", 2, 1, 8, 1, [(128,), (192,), (0,)])
# 24-bit mono at 2 Hz: 0.5, -0.25.
wav("s24.wav", 2, 1, 24, 1, [(4194304,), (-2097152,)])
