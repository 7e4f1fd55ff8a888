#!/usr/bin/env bash
# Assembles a corpus of real photos for hashwatch-bench from Debian packages.
#
# Usage: bench/assemble_corpus.sh [--keep-webp] OUTDIR
#
# What it does:
#   1. `apt-get download` each source package into a cache directory
#      (${HASHWATCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hashwatch}/debs), reusing .debs already
#      there; runs `apt-get update` once only if a download fails.
#   2. Unpacks each .deb with `dpkg-deb -x` into the cache (nothing is installed), and pulls the
#      images out of GCompris's Qt .rcc bundles with bench/extract_rcc.py.
#   3. Picks the photos (per-package rules below; shorter side >= 96 px; exact duplicates dropped
#      by SHA-256) and copies them flat into OUTDIR as <package>_<dir>_<name>.
#      GCompris ships its photos as WebP only; they are transcoded to JPEG (ImageMagick, quality 90,
#      4:2:0, metadata stripped, transparency flattened on white) because the speed target is measured
#      on JPEGs. --keep-webp also copies the original WebPs (each is then a near-duplicate of its JPEG).
#   4. Writes OUTDIR/MANIFEST.tsv: file, package, version, path inside the package, licence and
#      copyright as given by /usr/share/doc/PKG/copyright (DEP-5 stanza matching the file's source
#      path), how the file was derived, width, height, bytes, sha256, and a more specific upstream
#      licence statement where one exists (e.g. skimage's per-image CC0 notes).
#   Re-running is safe: cached downloads and extractions are reused, and files that an earlier run
#   put in OUTDIR (listed in its MANIFEST.tsv) but that are no longer selected are removed.
#   Needs: apt-get, dpkg-deb, python3 (stdlib only), ImageMagick's convert (installed with apt-get
#   if missing and running as root).
set -euo pipefail

usage() { sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

KEEP_WEBP=0
OUTDIR=
for arg in "$@"; do
  case "$arg" in
    --keep-webp) KEEP_WEBP=1 ;;
    -h|--help) usage ;;
    -*) echo "assemble_corpus: unknown option $arg" >&2; usage ;;
    *) [[ -z "$OUTDIR" ]] || usage; OUTDIR=$arg ;;
  esac
done
[[ -n "$OUTDIR" ]] || usage

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${HASHWATCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hashwatch}
DEBS=$CACHE/debs
UNPACKED=$CACHE/unpacked
PACKAGES=(gcompris-qt-data opencv-doc python3-skimage python3-sklearn python-matplotlib-data darknet libjxl-testdata)
# GCompris bundles whose images are photos (others are drawings, puzzle pieces, cut-outs or icons).
GCOMPRIS_BUNDLES=(categorization details erase explore_farm_animals explore_monuments explore_world_animals
                  explore_world_music leftright louis-braille solar_system)

say() { printf '[assemble_corpus] %s\n' "$*" >&2; }

for tool in apt-get dpkg-deb python3 sha256sum; do
  command -v "$tool" >/dev/null || { say "missing $tool"; exit 1; }
done

if ! convert -version 2>/dev/null | grep -q ImageMagick; then
  if [[ $(id -u) -eq 0 ]]; then
    say "ImageMagick not found: apt-get install -y imagemagick (needed to transcode GCompris WebPs)"
    apt-get install -y -q imagemagick >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q imagemagick >/dev/null; }
  else
    say "ImageMagick's convert is needed (apt-get install imagemagick)"; exit 1
  fi
fi

mkdir -p "$DEBS" "$UNPACKED" "$OUTDIR"

# 1. Download (or reuse) the .debs.
updated=0
newest_deb() { ls -t "$DEBS/$1"_*.deb 2>/dev/null | head -n1 || true; }
for pkg in "${PACKAGES[@]}"; do
  if [[ -n "$(newest_deb "$pkg")" ]]; then
    say "reusing $(basename "$(newest_deb "$pkg")")"
    continue
  fi
  say "apt-get download $pkg"
  # Root's sandbox user _apt cannot write into a private cache directory; download as root instead.
  if ! (cd "$DEBS" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2); then
    if [[ $updated -eq 0 ]]; then
      say "download failed; running apt-get update once and retrying"
      apt-get update -q >&2
      updated=1
      (cd "$DEBS" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2)
    else
      say "apt-get download $pkg failed"; exit 1
    fi
  fi
done

# 2. Unpack each .deb (again only when the .deb changed), then the GCompris .rcc bundles.
for pkg in "${PACKAGES[@]}"; do
  deb=$(newest_deb "$pkg")
  dest=$UNPACKED/$pkg
  if [[ -f "$dest/.unpacked-from" && "$(cat "$dest/.unpacked-from")" == "$(basename "$deb")" ]]; then
    continue
  fi
  say "dpkg-deb -x $(basename "$deb")"
  rm -rf "$dest" "$UNPACKED/$pkg.rcc"
  mkdir -p "$dest"
  dpkg-deb -x "$deb" "$dest"
  basename "$deb" > "$dest/.unpacked-from"
done

RCC_DIR=$UNPACKED/gcompris-qt-data/usr/share/gcompris-qt/rcc
RCC_OUT=$UNPACKED/gcompris-qt-data.rcc
if [[ ! -f "$RCC_OUT/.done" || "$(cat "$RCC_OUT/.done")" != "${GCOMPRIS_BUNDLES[*]}" ]]; then
  rm -rf "$RCC_OUT"
  for bundle in "${GCOMPRIS_BUNDLES[@]}"; do
    [[ -f "$RCC_DIR/$bundle.rcc" ]] || { say "warning: $bundle.rcc not in gcompris-qt-data"; continue; }
    python3 "$HERE/extract_rcc.py" "$RCC_DIR/$bundle.rcc" "$RCC_OUT/$bundle" 2>&1 | sed 's/^/[extract_rcc] /' >&2
  done
  echo "${GCOMPRIS_BUNDLES[*]}" > "$RCC_OUT/.done"
fi

# 3 and 4. Select, transcode, copy, write the manifest.
say "selecting photos into $OUTDIR"
OUTDIR=$OUTDIR UNPACKED=$UNPACKED CACHE=$CACHE DEBS=$DEBS KEEP_WEBP=$KEEP_WEBP \
GCOMPRIS_BUNDLES="${GCOMPRIS_BUNDLES[*]}" python3 - <<'PY'
import collections, fnmatch, glob, hashlib, os, re, shutil, struct, subprocess, sys

OUT = os.environ["OUTDIR"]
UNP = os.environ["UNPACKED"]
CACHE = os.environ["CACHE"]
DEBS = os.environ["DEBS"]
KEEP_WEBP = os.environ["KEEP_WEBP"] == "1"
BUNDLES = os.environ["GCOMPRIS_BUNDLES"].split()
MIN_SIDE = 96

def log(msg):
    print("[assemble_corpus] " + msg, file=sys.stderr)

# ---------- image headers (dimensions without decoding) ----------
def dims(path):
    with open(path, "rb") as f:
        head = f.read(64)
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            return struct.unpack(">II", head[16:24])
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            chunk = head[12:16]
            if chunk == b"VP8 ":
                w, h = struct.unpack("<HH", head[26:30])
                return w & 0x3FFF, h & 0x3FFF
            if chunk == b"VP8L":
                b = int.from_bytes(head[21:25], "little")
                return (b & 0x3FFF) + 1, ((b >> 14) & 0x3FFF) + 1
            if chunk == b"VP8X":
                return (int.from_bytes(head[24:27], "little") + 1, int.from_bytes(head[27:30], "little") + 1)
            return None
        if head.startswith(b"\xff\xd8"):
            f.seek(2)
            while True:
                b = f.read(1)
                while b and b != b"\xff":
                    b = f.read(1)
                while b == b"\xff":
                    b = f.read(1)
                if not b:
                    return None
                marker = b[0]
                if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                    continue
                seglen = struct.unpack(">H", f.read(2))[0]
                if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                    h, w = struct.unpack(">xHH", f.read(5))
                    return w, h
                f.seek(seglen - 2, 1)
    return None

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()

# ---------- DEP-5 copyright files ----------
def parse_dep5(path):
    paras, cur, key = [], {}, None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                if cur:
                    paras.append(cur)
                cur, key = {}, None
            elif line[0] in " \t":
                if key:
                    cur[key] += "\n" + line.strip()
            elif ":" in line and not line.startswith("#"):
                key, _, val = line.partition(":")
                key = key.strip().lower()
                cur[key] = val.strip()
    if cur:
        paras.append(cur)
    return [p for p in paras if "files" in p]

COPYRIGHT = {}

def licence_for(pkg, src_path):
    """Licence and copyright of the last DEP-5 Files stanza matching src_path (the path in the
    upstream source tree); for a WebP, a stanza naming the same file as .jpg/.png also matches."""
    if pkg not in COPYRIGHT:
        COPYRIGHT[pkg] = parse_dep5(os.path.join(UNP, pkg, "usr/share/doc", pkg, "copyright"))
    cands = [src_path]
    stem, ext = os.path.splitext(src_path)
    if ext == ".webp":
        cands += [stem + e for e in (".jpg", ".jpeg", ".png", ".svg", ".JPG")]
    best = None
    for para in COPYRIGHT[pkg]:
        if any(fnmatch.fnmatchcase(c, pat) for pat in para["files"].split() for c in cands):
            best = para
    if best is None:
        return "see /usr/share/doc/%s/copyright" % pkg, ""
    lic_lines = best.get("license", "").split("\n")
    lic = lic_lines[0].strip()
    if not lic:
        text = " ".join(lic_lines[1:]).strip()
        lic = "(unnamed; text begins: %s...)" % text[:60]
    cop = best.get("copyright", "").split("\n")[0].strip()
    comment = best.get("comment", "").split("\n")[0].strip()
    if comment.startswith("http"):
        cop = (cop + " <" + comment + ">").strip()
    return lic, cop

# ---------- what to take from each package ----------
# (package, glob relative to the unpacked package, prefix to strip to get the upstream source path,
#  prefix to add, regex of basenames to skip, note)
OPENCV = "usr/share/doc/opencv-doc/examples/"
SKIMAGE = "usr/lib/python3/dist-packages/skimage/"
SKLEARN = "usr/lib/python3/dist-packages/sklearn/"
MPL = "usr/share/matplotlib/mpl-data/"
JXL = "usr/share/libjxl-testdata/"
OPENCV_NONPHOTO = (r"^(Blender_Suzanne\d|HappyFish|LinuxLogo|WindowsLogo|aloeGT|blox|cards|chessboard|detect_blob|"
                   r"digits|gradient|imageText[NR]|mask|ml|notes|opencv-logo.*|pca_test1|pic\d|smarties|templ|tmpl|"
                   r".*_mask)\.(jpg|png)$")
RULES = [
    ("opencv-doc", OPENCV + "data/*.jpg", OPENCV, "samples/", OPENCV_NONPHOTO),
    ("opencv-doc", OPENCV + "data/*.png", OPENCV, "samples/", OPENCV_NONPHOTO),
    ("opencv-doc", OPENCV + "text/scenetext*.jpg", OPENCV, "samples/", None),
    ("opencv-doc", OPENCV + "hfs/data/*.jpg", OPENCV, "samples/", None),
    ("opencv-doc", OPENCV + "alphamat/input_images/*.jpg", OPENCV, "samples/", None),
    ("opencv-doc", OPENCV + "dnn_superres/*.png", OPENCV, "samples/", None),
    ("opencv-doc", OPENCV + "reg/home.png", OPENCV, "samples/", None),
    # skimage/data: photos only (not the charts, palettes, phantom, logo, horse silhouette);
    # truncated.jpg is a deliberately cut-off file, not a photo to benchmark on.
    ("python3-skimage", SKIMAGE + "data/*.jpg", SKIMAGE, "skimage/", r"^truncated\.jpg$"),
    ("python3-skimage", SKIMAGE + "data/*.png", SKIMAGE, "skimage/",
     r"^(block|bw_text|checker_bilevel|chessboard_.*|color|foo3x5x4indexed|green_palette|horse|logo|"
     r"palette_.*|phantom)\.png$"),
    ("python3-sklearn", SKLEARN + "datasets/images/*.jpg", SKLEARN, "sklearn/", None),
    ("python-matplotlib-data", MPL + "sample_data/*.jpg", MPL, "lib/matplotlib/mpl-data/", None),
    ("darknet", "usr/share/darknet/data/*.jpg", "usr/share/darknet/", "", None),
    # libjxl-testdata: one photo (flower) as 17 JPEG encodings plus its PNG master, 3 CC0 photos
    # (sRGB 8-bit versions only; their grey/alpha/64 px variants would be near-duplicates), a 16-bit PNG photo.
    ("libjxl-testdata", JXL + "jxl/flower/*.jpg", JXL, "", None),
    ("libjxl-testdata", JXL + "jxl/flower/flower.png", JXL, "", None),
    ("libjxl-testdata", JXL + "external/wesaturate/500px/*_srgb8.png", JXL, "", None),
    ("libjxl-testdata", JXL + "jxl/hdr_room.png", JXL, "", None),
]

# Per-file statements by upstream that are more specific than the package's copyright file.
SK = "skimage/data/"
UPSTREAM_NOTES = {
    SK + "astronaut.png": "skimage docs: NASA, public domain",
    SK + "brick.png": "skimage docs: CC0 (CC0Textures)",
    SK + "grass.png": "skimage docs: CC0 (CC0Textures)",
    SK + "gravel.png": "skimage docs: CC0 (CC0Textures)",
    SK + "camera.png": "skimage docs: CC0 (Lav Varshney)",
    SK + "cell.png": "skimage docs: CC0",
    SK + "chelsea.png": "skimage docs: CC0 (Stefan van der Walt)",
    SK + "clock_motion.png": "skimage docs: public domain (Stefan van der Walt)",
    SK + "coffee.png": "skimage docs: CC0 (Rachel Michetti)",
    SK + "coins.png": "skimage docs: Brooklyn Museum, no known copyright restrictions",
    SK + "ihc.png": "skimage docs: CMMI, no known copyright restrictions",
    SK + "hubble_deep_field.jpg": "skimage docs: NASA, public domain",
    SK + "microaneurysms.png": "skimage docs: CC0 (Andreas Maier)",
    SK + "retina.jpg": "skimage docs: CC0 1.0 (Mikael Haggstrom, Wikimedia Commons)",
    SK + "rocket.jpg": "skimage docs: SpaceX, public domain",
    SK + "text.png": "skimage docs: Wikipedia File:Corner.png, public domain",
    SK + "motorcycle_left.png": "skimage docs: Middlebury 2014 stereo benchmark, downsampled",
    SK + "motorcycle_right.png": "skimage docs: Middlebury 2014 stereo benchmark, downsampled",
    "sklearn/datasets/images/china.jpg": "sklearn README.txt: CC-BY-2.0, danielbuechele on Flickr",
    "sklearn/datasets/images/flower.jpg": "sklearn README.txt: CC-BY-2.0, vultilion on Flickr",
    "external/wesaturate/": "README.md: wesaturate.com, CC0",
}

def upstream_note(src):
    for key, note in UPSTREAM_NOTES.items():
        if src == key or (key.endswith("/") and src.startswith(key)):
            return note
    return ""

def deb_version(pkg):
    stamp = os.path.join(UNP, pkg, ".unpacked-from")
    return open(stamp).read().strip().split("_")[1] if os.path.exists(stamp) else ""

candidates = []  # (pkg, abs path, path in package, upstream source path, name stem, kind)
for pkg, pattern, strip, add, skip in RULES:
    root = os.path.join(UNP, pkg)
    for path in sorted(glob.glob(os.path.join(root, pattern))):
        rel = os.path.relpath(path, root)
        base = os.path.basename(rel)
        if skip and re.match(skip, base):
            continue
        src = add + rel[len(strip):] if rel.startswith(strip) else rel
        parent = os.path.basename(os.path.dirname(rel))
        candidates.append((pkg, path, rel, src, parent + "_" + os.path.splitext(base)[0], "copy"))

rcc_root = os.path.join(UNP, "gcompris-qt-data.rcc")
for bundle in BUNDLES:
    broot = os.path.join(rcc_root, bundle)
    for dirpath, _, files in sorted(os.walk(broot)):
        for fn in sorted(files):
            path = os.path.join(dirpath, fn)
            inner = os.path.relpath(path, broot)           # gcompris/src/activities/...
            rel = "usr/share/gcompris-qt/rcc/%s.rcc:/%s" % (bundle, inner)
            src = inner[len("gcompris/"):] if inner.startswith("gcompris/") else inner
            candidates.append(("gcompris-qt-data", path, rel, src,
                               bundle + "_" + os.path.splitext(fn)[0], "rcc"))

# ---------- filter, dedupe, name ----------
seen_sha = {}
chosen = []
skipped = collections.Counter()
used_names = set()

def unique(name):
    n, i = name, 2
    stem, ext = os.path.splitext(name)
    while n in used_names:
        n = "%s-%d%s" % (stem, i, ext)
        i += 1
    used_names.add(n)
    return n

def clean(s):
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", s)

for pkg, path, rel, src, stem, how in candidates:
    d = dims(path)
    if d is None:
        skipped["unreadable header"] += 1
        continue
    if min(d) < MIN_SIDE:
        skipped["smaller than %d px" % MIN_SIDE] += 1
        continue
    digest = sha256(path)
    if digest in seen_sha:
        skipped["exact duplicate"] += 1
        continue
    seen_sha[digest] = rel
    chosen.append((pkg, path, rel, src, stem, how, d, digest))

transcode_cache = os.path.join(CACHE, "transcoded")
os.makedirs(transcode_cache, exist_ok=True)

rows = []
for pkg, path, rel, src, stem, how, d, digest in chosen:
    ext = os.path.splitext(path)[1].lower()
    lic, cop = licence_for(pkg, src)
    outputs = []
    if ext == ".webp":
        cached = os.path.join(transcode_cache, digest + ".q90.jpg")
        if not os.path.exists(cached):
            tmp = cached + ".tmp.jpg"
            subprocess.run(["convert", path, "-background", "white", "-alpha", "remove", "-alpha", "off",
                            "-strip", "-sampling-factor", "4:2:0", "-quality", "90", tmp], check=True)
            os.replace(tmp, cached)
        outputs.append((cached, ".jpg", "transcoded from WebP: convert -alpha remove -strip -quality 90 (4:2:0)"))
        if KEEP_WEBP:
            outputs.append((path, ".webp", "original"))
    else:
        outputs.append((path, ".jpeg" if ext == ".jpeg" else ext, "original"))
    for srcfile, oext, derived in outputs:
        name = unique(clean("%s_%s" % (pkg, stem)) + oext)
        dest = os.path.join(OUT, name)
        sd = sha256(srcfile) if srcfile != path else digest
        if not (os.path.exists(dest) and sha256(dest) == sd):
            shutil.copyfile(srcfile, dest)
        w, h = dims(dest)
        rows.append((name, pkg, deb_version(pkg), rel, lic, cop, derived, w, h, os.path.getsize(dest), sd,
                     upstream_note(src)))

# ---------- remove what an earlier run left and this one did not choose; write the manifest ----------
manifest = os.path.join(OUT, "MANIFEST.tsv")
names = {r[0] for r in rows}
if os.path.exists(manifest):
    with open(manifest, encoding="utf-8") as f:
        next(f, None)
        for line in f:
            old = line.split("\t", 1)[0]
            if old and old not in names and "/" not in old and os.path.exists(os.path.join(OUT, old)):
                os.remove(os.path.join(OUT, old))
header = ("file", "package", "version", "path_in_package", "license", "copyright", "derived",
          "width", "height", "bytes", "sha256", "upstream_note")
tmp = manifest + ".tmp"
with open(tmp, "w", encoding="utf-8") as f:
    f.write("\t".join(header) + "\n")
    for r in sorted(rows):
        f.write("\t".join(str(x).replace("\t", " ") for x in r) + "\n")
os.replace(tmp, manifest)

# ---------- report ----------
by_pkg = collections.defaultdict(collections.Counter)
for r in rows:
    by_pkg[r[1]][os.path.splitext(r[0])[1]] += 1
print("files per source package:")
for pkg in sorted(by_pkg):
    c = by_pkg[pkg]
    print("  %-24s %4d  (%s)" % (pkg, sum(c.values()), ", ".join("%d %s" % (n, e[1:]) for e, n in sorted(c.items()))))
total = sum(r[9] for r in rows)
print("  %-24s %4d  %.1f MB" % ("total", len(rows), total / 1e6))
if skipped:
    print("skipped: " + ", ".join("%d %s" % (n, k) for k, n in sorted(skipped.items())))
jpeg_mp = sorted(r[7] * r[8] / 1e6 for r in rows if r[0].endswith((".jpg", ".jpeg")))
if jpeg_mp:
    bins = [(0, 0.1), (0.1, 0.25), (0.25, 0.5), (0.5, 1), (1, 2), (2, 4), (4, 1e9)]
    print("JPEG megapixels (%d files; median %.2f, mean %.2f, max %.2f):" % (
        len(jpeg_mp), jpeg_mp[len(jpeg_mp) // 2], sum(jpeg_mp) / len(jpeg_mp), jpeg_mp[-1]))
    for lo, hi in bins:
        n = sum(1 for m in jpeg_mp if lo <= m < hi)
        label = "%g-%g MP" % (lo, hi) if hi < 1e9 else ">= %g MP" % lo
        print("  %-12s %4d" % (label, n))
print("manifest: " + manifest)
PY
