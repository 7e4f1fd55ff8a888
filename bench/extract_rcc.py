#!/usr/bin/env python3
"""Extract image files (JPEG/PNG/WebP) from Qt binary resource bundles (.rcc).

Python 3 standard library only. Parses the rcc format as written by Qt's
rcc tool (qtbase/src/tools/rcc/rcc.cpp, read by qresource.cpp):

  header (big-endian):
    "qres" magic, u32 version (1, 2 or 3), u32 tree offset, u32 data offset,
    u32 names offset, and for version >= 3 a u32 of overall flags.
  tree: fixed-size nodes, node i at tree_offset + i * node_size, node 0 the root.
    node_size is 14 bytes for version 1, 22 for version >= 2 (8 more bytes of
    last-modified time).
    u32 name offset, u16 flags, then
      directory (flags & 0x02): u32 child count, u32 index of first child
      file:                     u16 country, u16 language, u32 data offset
  names: at names_offset + name offset: u16 length (UTF-16 code units),
    u32 hash, then the name as UTF-16BE.
  data: at data_offset + node data offset: u32 length, then the bytes.
    flags & 0x01: zlib, as qCompress: u32 big-endian uncompressed size + zlib stream
    flags & 0x04: zstd (Qt >= 5.13); not in the standard library, so skipped and counted.

Writes each JPEG/PNG/WebP blob (recognised by its magic bytes, whatever its name)
under OUTDIR, keeping the resource path. With --list, prints a TSV of
resource path, flags, stored size and kind instead of writing.

Usage: extract_rcc.py [--list] [--all] BUNDLE.rcc [OUTDIR]
"""

import os
import struct
import sys
import zlib

FLAG_COMPRESSED = 0x01
FLAG_DIRECTORY = 0x02
FLAG_COMPRESSED_ZSTD = 0x04


class RccError(Exception):
    pass


def sniff(blob):
    if blob.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if blob.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if blob[:4] == b"RIFF" and blob[8:12] == b"WEBP":
        return "webp"
    return None


class Rcc:
    def __init__(self, data):
        self.data = data
        if len(data) < 20 or data[:4] != b"qres":
            raise RccError("not a Qt rcc bundle (no 'qres' magic)")
        self.version, self.tree, self.payload, self.names = struct.unpack_from(">IIII", data, 4)
        if self.version not in (1, 2, 3):
            raise RccError("unsupported rcc version %d" % self.version)
        self.overall_flags = struct.unpack_from(">I", data, 20)[0] if self.version >= 3 else 0
        self.node_size = 14 if self.version == 1 else 22
        for name, off in (("tree", self.tree), ("data", self.payload), ("names", self.names)):
            if off >= len(data):
                raise RccError("%s offset %d beyond end of file (%d bytes)" % (name, off, len(data)))

    def _need(self, off, n):
        if off < 0 or off + n > len(self.data):
            raise RccError("truncated: need %d bytes at offset %d, file has %d" % (n, off, len(self.data)))

    def name(self, name_off):
        off = self.names + name_off
        self._need(off, 6)
        length = struct.unpack_from(">H", self.data, off)[0]
        self._need(off + 6, 2 * length)
        return self.data[off + 6: off + 6 + 2 * length].decode("utf-16-be", "replace")

    def node(self, index):
        off = self.tree + index * self.node_size
        self._need(off, 14)
        name_off, flags = struct.unpack_from(">IH", self.data, off)
        if flags & FLAG_DIRECTORY:
            count, first = struct.unpack_from(">II", self.data, off + 6)
            return name_off, flags, count, first
        _country, _language, data_off = struct.unpack_from(">HHI", self.data, off + 6)
        return name_off, flags, None, data_off

    def walk(self):
        """Yields (path, flags, data_offset) for every file in the bundle."""
        seen = set()
        stack = [(0, "")]
        while stack:
            index, prefix = stack.pop()
            if index in seen:
                raise RccError("tree loop at node %d" % index)
            seen.add(index)
            name_off, flags, count, arg = self.node(index)
            name = "" if index == 0 else self.name(name_off)
            path = prefix + "/" + name if index else ""
            if count is not None:
                for child in range(arg, arg + count):
                    stack.append((child, path))
            else:
                yield path, flags, arg

    def raw(self, data_off):
        off = self.payload + data_off
        self._need(off, 4)
        length = struct.unpack_from(">I", self.data, off)[0]
        self._need(off + 4, length)
        return self.data[off + 4: off + 4 + length]

    def content(self, flags, data_off):
        """Returns the file's bytes, or None for zstd-compressed entries."""
        blob = self.raw(data_off)
        if flags & FLAG_COMPRESSED_ZSTD:
            return None
        if flags & FLAG_COMPRESSED:
            if len(blob) < 4:
                raise RccError("qCompress block shorter than its size header")
            expected = struct.unpack_from(">I", blob, 0)[0]
            out = zlib.decompress(blob[4:])
            if len(out) != expected:
                raise RccError("qCompress size mismatch: header %d, got %d" % (expected, len(out)))
            return out
        return blob


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    opts = {a for a in argv[1:] if a.startswith("--")}
    if not args or (len(args) < 2 and "--list" not in opts) or opts - {"--list", "--all"}:
        sys.stderr.write(__doc__.split("Usage: ")[1])
        return 2
    bundle = args[0]
    outdir = args[1] if len(args) > 1 else None
    with open(bundle, "rb") as f:
        rcc = Rcc(f.read())
    counts = {"files": 0, "zlib": 0, "zstd_skipped": 0, "jpg": 0, "png": 0, "webp": 0, "other": 0}
    for path, flags, data_off in rcc.walk():
        counts["files"] += 1
        if flags & FLAG_COMPRESSED_ZSTD:
            counts["zstd_skipped"] += 1
            if "--list" in opts:
                print("%s\t%d\t%d\tzstd-skipped" % (path, flags, len(rcc.raw(data_off))))
            continue
        if flags & FLAG_COMPRESSED:
            counts["zlib"] += 1
        blob = rcc.content(flags, data_off)
        kind = sniff(blob)
        counts[kind or "other"] += 1
        if "--list" in opts:
            print("%s\t%d\t%d\t%s" % (path, flags, len(blob), kind or "other"))
            continue
        if kind is None and "--all" not in opts:
            continue
        rel = path.lstrip("/")
        parts = [p for p in rel.split("/") if p not in ("", ".", "..")]
        dest = os.path.join(outdir, *parts)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "wb") as f:
            f.write(blob)
    sys.stderr.write(
        "%s: rcc v%d, %d files (%d zlib-compressed, %d zstd-compressed skipped): %d jpg, %d png, %d webp, %d other\n"
        % (os.path.basename(bundle), rcc.version, counts["files"], counts["zlib"],
           counts["zstd_skipped"], counts["jpg"], counts["png"], counts["webp"], counts["other"]))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (RccError, zlib.error, OSError) as e:
        sys.stderr.write("extract_rcc: %s: %s\n" % (sys.argv[1] if len(sys.argv) > 1 else "", e))
        sys.exit(1)
