#!/usr/bin/env bash
# Builds the two image sets of the robustness benchmark (Thorn-style: transformed copies of corpus
# photos are queried against the enrolled originals; distractors must never match) from Debian packages.
#
# Usage: bench/assemble_robustness_corpus.sh OUTDIR
#   -> OUTDIR/corpus/       real photos to enrol (>= 300), with MANIFEST.tsv
#      OUTDIR/distractors/  other images (>= 1000): photos of similar subjects (animals, plants, landscapes,
#                           sky, monuments), desktop wallpapers, and screenshots (several of one application:
#                           GIMP dialogs, KStars, GNOME Help, Warzone 2100), with MANIFEST.tsv
#      OUTDIR/README.md     packages and counts
#
# How it works:
#   1. The corpus candidates are exactly what bench/assemble_corpus.sh selects: it is run into a staging
#      directory in the cache, and its MANIFEST.tsv rows (source, licence) are carried over.
#   2. The distractor packages are fetched the same way (`apt-get download` into the same cache of .debs,
#      `dpkg-deb -x`, nothing installed); the DEP-5 and image-header helpers are taken from
#      assemble_corpus.sh's embedded Python rather than copied here.
#   3. Every candidate is normalised (cached by source SHA-256): alpha flattened on white and WebP turned
#      into JPEG for photos, anything whose longer side is > 1600 px scaled to 1600 px (photos: JPEG
#      quality 92; PNG screenshots stay PNG), metadata stripped; other files are copied unchanged.
#   4. Clean-set filtering, over corpus and distractors together, in this order:
#      - files with a shorter side < 128 px, or PDQ quality < 50 (from `hashwatch hash`), are dropped;
#      - known groups of the same scene keep one member, because PDQ does not see them as close (graf1 vs
#        graf3, leuvenA/B, aloeL/R are 130-146 bits apart, left01 vs left02 94): opencv-doc stereo and
#        calibration series (left01..14/right01..14, left/right, aloeL/R, graf1/3, leuvenA/B, aero1/3, ...),
#        the 22 libjxl encodings of one flower, the GCompris left/right hand mirror pairs; crops of other
#        files (opencv scenetext word crops) are dropped;
#      - near-duplicates by PDQ: candidates are visited in a fixed order (corpus before distractors, then
#        larger images first, then by name) and one is kept only if the Hamming distance between its PDQ
#        hash, and the hashes of its 7 rotated/mirrored versions (from a 256 px thumbnail), and every
#        already kept file's hash is > 70 bits. So no two kept files are within 70 bits of each other, even
#        after a flip or a 90-degree rotation, and where a distractor and a corpus photo are that close the
#        distractor is the one dropped. Each set's DROPPED.tsv says what was dropped and why (and of what).
#      Tux Paint stamps and Stellarium landscape layers count as photos only with > 5000 distinct colours
#      (drawings have fewer); hashes are cached per file content and per hashwatch binary.
#   5. Files are copied flat into OUTDIR/corpus and OUTDIR/distractors as <package>_<dir>_<name>; each
#      MANIFEST.tsv has file, package, version, path in the package, licence and copyright (DEP-5 stanza
#      of /usr/share/doc/PKG/copyright matching the file), how the file was derived, width, height, bytes,
#      sha256, kind (photo/wallpaper/screenshot), PDQ quality and an upstream note.
#   Deterministic: no randomness, everything sorted; same packages and tools -> same files. Re-running
#   reuses the downloads, extractions, normalised files and hashes in the cache
#   (${HASHWATCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hashwatch}) and removes files an earlier run put in
#   OUTDIR/corpus or OUTDIR/distractors that are no longer selected.
#   Needs: apt-get, dpkg-deb, python3 (stdlib only), ImageMagick (convert, identify) and the hashwatch
#   binary (${HASHWATCH_BIN:-build/bin/hashwatch}).
set -euo pipefail

usage() { sed -n '5,5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ $# -eq 1 && "$1" != -* ]] || usage
OUTDIR=$1

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
CACHE=${HASHWATCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hashwatch}
DEBS=$CACHE/debs
UNPACKED=$CACHE/unpacked
WORK=$CACHE/robustness
HASHWATCH_BIN=${HASHWATCH_BIN:-$REPO/build/bin/hashwatch}
# gimp-help-common only for /usr/share/doc/gimp-help-common/copyright (gimp-help-en's doc dir links to it).
DISTRACTOR_PACKAGES=(tuxpaint-stamps-default stellarium-data gnome-backgrounds mate-backgrounds
                     plasma-workspace-wallpapers lomiri-wallpapers lomiri-wallpapers-16.04 lomiri-wallpapers-20.04
                     ukui-wallpapers sway-backgrounds kanagram gimp-help-en gimp-help-common gnome-user-docs
                     kstars-data warzone2100-data)

say() { printf '[assemble_robustness] %s\n' "$*" >&2; }

for tool in apt-get dpkg-deb python3 sha256sum; do
  command -v "$tool" >/dev/null || { say "missing $tool"; exit 1; }
done
[[ -x "$HASHWATCH_BIN" ]] || { say "hashwatch binary not found at $HASHWATCH_BIN (build it, or set HASHWATCH_BIN)"; exit 1; }

mkdir -p "$OUTDIR" "$WORK"
OUTDIR=$(cd "$OUTDIR" && pwd)
start=$SECONDS

# 1. Corpus candidates: whatever assemble_corpus.sh selects (it also installs ImageMagick if missing).
say "running assemble_corpus.sh into $WORK/corpus-staging"
"$HERE/assemble_corpus.sh" "$WORK/corpus-staging" >&2

# 2. Distractor packages: download (or reuse) and unpack, same cache layout as assemble_corpus.sh.
newest_deb() { ls -t "$DEBS/$1"_*.deb 2>/dev/null | head -n1 || true; }
updated=0
for pkg in "${DISTRACTOR_PACKAGES[@]}"; do
  [[ -n "$(newest_deb "$pkg")" ]] && continue
  say "apt-get download $pkg"
  if ! (cd "$DEBS" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2); then
    [[ $updated -eq 0 ]] || { say "apt-get download $pkg failed"; exit 1; }
    say "download failed; running apt-get update once and retrying"
    apt-get update -q >&2; updated=1
    (cd "$DEBS" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2)
  fi
done
for pkg in "${DISTRACTOR_PACKAGES[@]}"; do
  deb=$(newest_deb "$pkg"); dest=$UNPACKED/$pkg
  [[ -f "$dest/.unpacked-from" && "$(cat "$dest/.unpacked-from")" == "$(basename "$deb")" ]] && continue
  say "dpkg-deb -x $(basename "$deb")"
  rm -rf "$dest"; mkdir -p "$dest"
  dpkg-deb -x "$deb" "$dest"
  basename "$deb" > "$dest/.unpacked-from"
done

# 3-5. Normalise, hash, filter, de-duplicate, copy, write manifests and README.
say "assemble_corpus.sh took $((SECONDS - start)) s; selecting, normalising and de-duplicating"
OUTDIR=$OUTDIR UNPACKED=$UNPACKED CACHE=$CACHE WORK=$WORK HASHWATCH_BIN=$HASHWATCH_BIN \
ASSEMBLE_CORPUS=$HERE/assemble_corpus.sh python3 - <<'PY'
import collections, concurrent.futures, fnmatch, glob, json, os, re, shutil, subprocess, sys

OUT, UNP, CACHE, WORK = (os.environ[k] for k in ("OUTDIR", "UNPACKED", "CACHE", "WORK"))
HASHWATCH = os.environ["HASHWATCH_BIN"]
STAGE = os.path.join(WORK, "corpus-staging")
MAX_SIDE, MIN_SIDE, MIN_QUALITY, NEAR = 1600, 128, 50, 70
JOBS = os.cpu_count() or 2

def log(msg):
    print("[assemble_robustness] " + msg, file=sys.stderr)

# ---------- reuse dims(), sha256(), parse_dep5() from assemble_corpus.sh's embedded Python ----------
src = open(os.environ["ASSEMBLE_CORPUS"], encoding="utf-8").read()
MARK = "# ---------- what to take from each package"
try:
    body = src.split("python3 - <<'PY'\n", 1)[1].split("\nPY\n", 1)[0]
    helpers = body.split(MARK, 1)[0]
    assert "def dims(" in helpers and "def parse_dep5(" in helpers and "def sha256(" in helpers
except (IndexError, AssertionError):
    sys.exit("assemble_corpus.sh changed shape: cannot find its dims/sha256/parse_dep5 helpers before %r" % MARK)
for k, v in (("KEEP_WEBP", "0"), ("GCOMPRIS_BUNDLES", ""), ("DEBS", os.path.join(CACHE, "debs"))):
    os.environ.setdefault(k, v)
os.environ["OUTDIR"] = STAGE
H = {}
exec(compile(helpers, "assemble_corpus.sh:helpers", "exec"), H)
dims, sha256, parse_dep5 = H["dims"], H["sha256"], H["parse_dep5"]

# ---------- licences ----------
DOC_PKG = {"gimp-help-en": "gimp-help-common"}
_dep5 = {}

def licence(pkg, rel):
    """Licence and copyright from /usr/share/doc/PKG/copyright: the last DEP-5 Files stanza matching the
    file's path in the package or any trailing part of it (the upstream source path is not known)."""
    doc = DOC_PKG.get(pkg, pkg)
    path = os.path.join(UNP, doc, "usr/share/doc", doc, "copyright")
    if path not in _dep5:
        _dep5[path] = parse_dep5(path) if os.path.exists(path) else None
    paras = _dep5[path]
    where = "/usr/share/doc/%s/copyright" % doc
    if not paras:
        # Not machine-readable: quote its first licence statement.
        text = open(path, encoding="utf-8", errors="replace").read() if os.path.exists(path) else ""
        m = re.search(r"(Licen[cs]ed under[^\n]*|License:[^\n]*)", text)
        cop = re.search(r"Copyright[^\n]*\n\s*(Copyright[^\n]*)", text)
        return ((m.group(1).strip() if m else "") + " (see %s)" % where).strip(), (cop.group(1).strip() if cop else "")
    parts = rel.split("/")
    suffixes = ["/".join(parts[i:]) for i in range(len(parts))]
    best = None
    for para in paras:
        if any(fnmatch.fnmatchcase(s, pat) for pat in para["files"].split() for s in suffixes):
            best = para
    if best is None or best["files"].split() == ["*"]:
        # Installed elsewhere than in the source tree (e.g. 16.04/NAME.jpg -> /usr/share/backgrounds/NAME.jpg):
        # a stanza naming the file itself, whatever its directory.
        base = parts[-1]
        for para in paras:
            if any("*" not in os.path.basename(pat) and fnmatch.fnmatchcase(base, os.path.basename(pat))
                   for pat in para["files"].split()):
                best = para
    if best is None:
        return "see " + where, ""
    lic_lines = best.get("license", "").split("\n")
    lic = lic_lines[0].strip() or "(unnamed; text begins: %s...)" % " ".join(lic_lines[1:]).strip()[:60]
    return lic, best.get("copyright", "").split("\n")[0].strip()

def deb_version(pkg):
    stamp = os.path.join(UNP, pkg, ".unpacked-from")
    return open(stamp).read().strip().split("_")[1].replace("%3a", ":") if os.path.exists(stamp) else ""

def clean(s):
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", s)

# ---------- candidates ----------
# Each: dict(set, pkg, path (abs), rel (in package), stem (output name without extension), kind, lic, cop,
#            version, derived0 (derivation before this script), note)
cands = []

# Corpus: assemble_corpus.sh's selection, with its manifest's provenance.
with open(os.path.join(STAGE, "MANIFEST.tsv"), encoding="utf-8") as f:
    head = f.readline().rstrip("\n").split("\t")
    for line in f:
        r = dict(zip(head, line.rstrip("\n").split("\t")))
        cands.append(dict(set="corpus", pkg=r["package"], path=os.path.join(STAGE, r["file"]), rel=r["path_in_package"],
                          stem=os.path.splitext(r["file"])[0], kind="photo", lic=r["license"], cop=r["copyright"],
                          version=r["version"], derived0="" if r["derived"] == "original" else r["derived"],
                          note=r.get("upstream_note", "")))

def identify(paths, fmt):
    """identify -format FMT for each path (cached by path+size+mtime is not needed: sources are immutable)."""
    def one(p):
        r = subprocess.run(["identify", "-format", fmt, p + "[0]"], capture_output=True, text=True)
        return r.stdout.strip()
    with concurrent.futures.ThreadPoolExecutor(JOBS) as ex:
        return dict(zip(paths, ex.map(one, paths)))

TUX = "usr/share/tuxpaint/stamps/"
GIMP = "usr/share/gimp/2.0/help/en/images/"
STEL = "usr/share/stellarium/"
# (package, glob in the unpacked package, kind, option)
#   option "photo-colours": keep only files with > 5000 distinct colours (tells photo cut-outs from
#   drawings among Tux Paint stamps and Stellarium landscape layers); "largest-per-dir": one
#   resolution of each wallpaper (the largest).
DRULES = [
    ("tuxpaint-stamps-default", TUX + "**/*.png", "photo", "photo-colours"),   # except symbols/ (see below)
    ("stellarium-data", STEL + "nebulae/default/*.png", "photo", None),
    ("stellarium-data", STEL + "landscapes/*/*.png", "photo", "photo-colours"),
    ("stellarium-data", STEL + "landscapes/*/*.jpg", "photo", "photo-colours"),
    ("gnome-backgrounds", "usr/share/backgrounds/gnome/*.webp", "wallpaper", None),
    ("mate-backgrounds", "usr/share/backgrounds/mate/*/*.jpg", "wallpaper", None),
    ("mate-backgrounds", "usr/share/backgrounds/mate/*/*.png", "wallpaper", None),
    ("plasma-workspace-wallpapers", "usr/share/wallpapers/*/contents/images/*.*", "wallpaper", "largest-per-dir"),
    ("lomiri-wallpapers", "usr/share/backgrounds/*.png", "wallpaper", None),
    ("lomiri-wallpapers-16.04", "usr/share/backgrounds/*.jpg", "wallpaper", None),
    ("lomiri-wallpapers-20.04", "usr/share/backgrounds/*.jpg", "wallpaper", None),
    ("ukui-wallpapers", "usr/share/backgrounds/*.*", "wallpaper", None),
    ("sway-backgrounds", "usr/share/backgrounds/sway/*.png", "wallpaper", None),
    ("kanagram", "usr/share/kanagram/ui/images/background.jpg", "wallpaper", None),
    # Screenshots: many of one application each.
    ("gimp-help-en", GIMP + "dialogs/*.png", "screenshot", None),
    ("gimp-help-en", GIMP + "preferences/*.png", "screenshot", None),
    ("gnome-user-docs", "usr/share/help/C/gnome-help/figures/*.png", "screenshot", None),
    ("kstars-data", "usr/share/doc/HTML/en/kstars/*.png", "screenshot", None),
    ("warzone2100-data", "usr/share/doc/warzone2100/images/*.jpg", "screenshot", None),
]
IMG = re.compile(r"\.(jpe?g|png|webp)$", re.I)
pending = []
for pkg, pattern, kind, opt in DRULES:
    root = os.path.join(UNP, pkg)
    paths = sorted(p for p in glob.glob(os.path.join(root, pattern), recursive=True)
                   if IMG.search(p) and os.path.isfile(p) and "/stamps/symbols/" not in p)  # letters, signs
    if opt == "largest-per-dir":
        best = {}
        for p in paths:
            d = dims(p) or (0, 0)
            k = os.path.dirname(p)
            if k not in best or d[0] * d[1] > best[k][0]:
                best[k] = (d[0] * d[1], p)
        paths = sorted(v[1] for v in best.values())
    pending.append((pkg, root, paths, kind, opt))
colour_paths = sorted({p for pkg, root, paths, kind, opt in pending if opt == "photo-colours" for p in paths})
colours = identify(colour_paths, "%k")
seen_paths = set()
for pkg, root, paths, kind, opt in pending:
    for p in paths:
        if p in seen_paths:
            continue
        seen_paths.add(p)
        if opt == "photo-colours" and int(colours.get(p) or 0) <= 5000:
            continue
        rel = os.path.relpath(p, root)
        stem = os.path.basename(os.path.dirname(rel)) + "_" + os.path.splitext(os.path.basename(rel))[0]
        if pkg == "plasma-workspace-wallpapers":       # .../wallpapers/NAME/contents/images/WxH.jpg
            stem = rel.split("/")[2] + "_" + os.path.splitext(os.path.basename(rel))[0]
        lic, cop = licence(pkg, rel)
        cands.append(dict(set="distractors", pkg=pkg, path=p, rel=rel, stem=stem, kind=kind, lic=lic, cop=cop,
                          version=deb_version(pkg), derived0="", note=""))

# ---------- normalise (cached by source sha256 and recipe) ----------
PREP = os.path.join(WORK, "prepared")
os.makedirs(PREP, exist_ok=True)

def png_has_alpha(path):
    with open(path, "rb") as f:
        head = f.read(26)
        if not head.startswith(b"\x89PNG"):
            return False
        if head[25] in (4, 6):
            return True
        data = f.read(1 << 16)
        return b"tRNS" in data

def webp_has_alpha(path):
    with open(path, "rb") as f:
        head = f.read(21)
    return head[12:16] == b"VP8X" and bool(head[20] & 0x10) or head[12:16] == b"VP8L"

def prepare(c):
    p = c["path"]
    ext = os.path.splitext(p)[1].lower()
    d = dims(p)
    c["src_sha"] = sha256(p)
    big = d is not None and max(d) > MAX_SIDE
    alpha = (ext == ".png" and png_has_alpha(p)) or (ext == ".webp" and webp_has_alpha(p))
    if c["kind"] == "screenshot":
        if not big:
            c["prepared"], c["ext"], c["derived"] = p, (".jpg" if ext == ".jpeg" else ext), ""
            return c
        out_ext = ".png" if ext == ".png" else ".jpg"
        args = ["-resize", "%dx%d>" % (MAX_SIDE, MAX_SIDE), "-strip"]
        how = "scaled to %d px (convert -resize, %s)" % (MAX_SIDE, "PNG" if out_ext == ".png" else "JPEG quality 92")
    else:
        if not big and not alpha and ext != ".webp":
            c["prepared"], c["ext"], c["derived"] = p, (".jpg" if ext == ".jpeg" else ext), ""
            return c
        out_ext = ".jpg"
        args = ["-background", "white", "-alpha", "remove", "-alpha", "off"] if alpha else []
        steps = (["alpha flattened on white"] if alpha else []) + (["from WebP"] if ext == ".webp" else [])
        if big:
            args += ["-resize", "%dx%d>" % (MAX_SIDE, MAX_SIDE)]
            steps.append("scaled to %d px" % MAX_SIDE)
        args += ["-strip"]
        how = "JPEG quality 92 (convert), " + ", ".join(steps)
    if out_ext == ".jpg":
        args += ["-sampling-factor", "4:2:0", "-quality", "92"]
    else:
        args += ["-define", "png:exclude-chunks=date,time"]
    key = "%s.%s%s" % (c["src_sha"], re.sub(r"[^a-z0-9]+", "", " ".join(args).lower())[:40], out_ext)
    dest = os.path.join(PREP, key)
    if not os.path.exists(dest):
        tmp = dest + ".tmp" + out_ext
        subprocess.run(["convert", p + "[0]"] + args + [tmp], check=True)
        os.replace(tmp, dest)
    c["prepared"], c["ext"], c["derived"] = dest, out_ext, how
    return c

with concurrent.futures.ThreadPoolExecutor(JOBS) as ex:
    cands = list(ex.map(prepare, cands))
for c in cands:
    c["derived"] = "; ".join(x for x in (c["derived0"], c["derived"]) if x) or "original"
    c["dims"] = dims(c["prepared"]) or (0, 0)

# ---------- dihedral thumbnails (for mirrored / rotated near-duplicates) ----------
DIH = os.path.join(WORK, "dihedral")
os.makedirs(DIH, exist_ok=True)
OPS = [("flop", ["-flop"]), ("flip", ["-flip"]), ("rot90", ["-rotate", "90"]), ("rot180", ["-rotate", "180"]),
       ("rot270", ["-rotate", "270"]), ("transpose", ["-transpose"]), ("transverse", ["-transverse"])]

def thumbs(out_sha, path):
    d = os.path.join(DIH, out_sha)
    files = [os.path.join(d, n + ".png") for n, _ in OPS]
    if not all(os.path.exists(f) for f in files):
        os.makedirs(d, exist_ok=True)
        cmd = ["convert", path + "[0]", "-thumbnail", "256x256", "-define", "png:exclude-chunks=date,time"]
        for (n, op), f in zip(OPS, files):
            cmd += ["(", "+clone"] + op + ["-write", f + ".tmp.png", "+delete", ")"]
        cmd += ["null:"]
        subprocess.run(cmd, check=True)
        for f in files:
            os.replace(f + ".tmp.png", f)
    return files

with concurrent.futures.ThreadPoolExecutor(JOBS) as ex:
    for c, h in zip(cands, ex.map(lambda c: sha256(c["prepared"]), cands)):
        c["out_sha"] = h
    unique_out = sorted({c["out_sha"]: c["prepared"] for c in cands}.items())
    dih = dict(zip((k for k, _ in unique_out), ex.map(lambda kv: thumbs(*kv), unique_out)))
for c in cands:
    c["dihedral_files"] = dih[c["out_sha"]]

# ---------- PDQ hashes (hashwatch), cached by content sha256 ----------
# Keyed by the binary too: a rebuilt engine may hash differently.
HCACHE = os.path.join(WORK, "pdq-cache-%s.tsv" % sha256(HASHWATCH)[:16])
hcache = {}
if os.path.exists(HCACHE):
    for line in open(HCACHE, encoding="utf-8"):
        k, h, q = line.rstrip("\n").split("\t")
        hcache[k] = (h, int(q))

need = {}
for c in cands:
    for p in [c["prepared"]] + c["dihedral_files"]:
        k = c["out_sha"] if p == c["prepared"] else p[len(DIH) + 1:]
        if k not in hcache:
            need[p] = k
if need:
    log("hashing %d files with %s" % (len(need), HASHWATCH))
    r = subprocess.run([HASHWATCH, "hash", "--format", "jsonl", "-"], input="\n".join(sorted(need)) + "\n",
                       capture_output=True, text=True, check=True)
    for line in r.stdout.splitlines():
        o = json.loads(line)
        if o.get("path") in need and "pdq" in o:
            hcache[need[o["path"]]] = (o["pdq"], int(o.get("pdq_quality", 0)))
    with open(HCACHE + ".tmp", "w", encoding="utf-8") as f:
        for k in sorted(hcache):
            f.write("%s\t%s\t%d\n" % (k, hcache[k][0], hcache[k][1]))
    os.replace(HCACHE + ".tmp", HCACHE)

# ---------- filter and de-duplicate ----------
# Same-scene groups PDQ may not catch (stereo pairs, calibration series, crops): keep the first member
# (in visiting order); DROP: crops of other corpus files.
GROUPS = [
    (r"opencv-doc_data_(left|right)\d\d$", "opencv calibration chessboards"),
    (r"opencv-doc_data_(left|right)$", "opencv stereo left/right"),
    (r"opencv-doc_data_aloe[LR]$", "aloe"), (r"opencv-doc_data_graf\d$", "graf"),
    (r"opencv-doc_data_leuven[AB]$", "leuven"), (r"opencv-doc_data_aero\d$", "aero"),
    (r"opencv-doc_data_basketball\d$", "basketball"), (r"opencv-doc_data_rubberwhale\d$", "rubberwhale"),
    (r"opencv-doc_data_ela_(modified|original)$", "ela"), (r"opencv-doc_data_box(_in_scene)?$", "box"),
    (r"opencv-doc_data_text_(defocus|motion)$", "text blur"), (r"opencv-doc_(data|dnn_superres)_butterfly$", "butterfly"),
    (r"opencv-doc_(data|reg)_home$", "home"), (r"opencv-doc_data_00\d$", "opencv 00x series"),
    (r"python3-skimage_data_motorcycle_(left|right)$", "motorcycle stereo"),
    (r"libjxl-testdata_flower_", "libjxl flower encodings"),
    (r"gcompris-qt-data_leftright_main_\w+_dessus", "hand back"), (r"gcompris-qt-data_leftright_main_\w+_paume", "hand palm"),
    (r"gcompris-qt-data_leftright_poing_\w+_dessus", "fist back"), (r"gcompris-qt-data_leftright_poing_\w+_paume", "fist palm"),
    # The same Apollo 17 "Blue Marble" photo, colour-graded and cut out differently (140 bits
    # apart as files; hashwatch-bench robustness's verification stage found the pair).
    (r"(gcompris-qt-data_solar_system_earth|tuxpaint-stamps-default_planets_3_earth)$", "Blue Marble"),
]
DROP = [r"opencv-doc_text_scenetext_(segmented_)?word\d+$"]

def popcount(x):
    return x.bit_count()

stats = collections.Counter()
for c in cands:
    c["name"] = (c["stem"] if c["set"] == "corpus" else clean("%s_%s" % (c["pkg"], c["stem"]))) + c["ext"]
    c["h"], c["q"] = hcache.get(c["out_sha"], (None, 0))
    c["hd"] = [hcache.get(f[len(DIH) + 1:], (None, 0))[0] for f in c["dihedral_files"]]
order = sorted(cands, key=lambda c: (c["set"] != "corpus", -(c["dims"][0] * c["dims"][1]), c["name"]))
kept, kept_hashes, groups_seen, names = [], [], {}, set()
drops = collections.defaultdict(list)
for c in order:
    stem = os.path.splitext(c["name"])[0]
    why = None
    if c["h"] is None:
        why = ("not hashed by hashwatch", "")
    elif min(c["dims"]) < MIN_SIDE:
        why = ("shorter side < %d px" % MIN_SIDE, "%dx%d" % c["dims"])
    elif c["q"] < MIN_QUALITY:
        why = ("PDQ quality < %d" % MIN_QUALITY, "quality %d" % c["q"])
    elif any(re.search(p, stem) for p in DROP):
        why = ("crop of another file", "")
    else:
        g = next((label for p, label in GROUPS if re.search(p, stem)), None)
        if g and g in groups_seen:
            why = ("same-scene group", "%s; kept %s" % (g, groups_seen[g]))
        else:
            mine = [int(c["h"], 16)] + [int(x, 16) for x in c["hd"] if x]
            for kh, kc in kept_hashes:
                dist = min(popcount(kh ^ m) for m in mine)
                if dist <= NEAR:
                    why = ("PDQ near-duplicate", "of %s: distance %d%s" % (
                        kc["name"], dist, "" if popcount(kh ^ mine[0]) == dist else " (rotated/mirrored)"))
                    break
            if why is None and g:
                groups_seen[g] = c["name"]
    if why:
        drops[c["set"]].append((c["name"], why))
        stats[(c["set"], why[0])] += 1
        continue
    n, i = c["name"], 2
    while n in names:
        n = "%s-%d%s" % (os.path.splitext(c["name"])[0], i, c["ext"]); i += 1
    names.add(n); c["name"] = n
    kept.append(c)
    kept_hashes.append((int(c["h"], 16), c))

# ---------- copy, manifests ----------
HEADER = ("file", "package", "version", "path_in_package", "license", "copyright", "derived", "width", "height",
          "bytes", "sha256", "kind", "pdq_quality", "upstream_note")
summary = {}
for setname in ("corpus", "distractors"):
    d = os.path.join(OUT, setname)
    os.makedirs(d, exist_ok=True)
    rows = []
    for c in sorted((c for c in kept if c["set"] == setname), key=lambda c: c["name"]):
        dest = os.path.join(d, c["name"])
        if not (os.path.exists(dest) and sha256(dest) == c["out_sha"]):
            shutil.copyfile(c["prepared"], dest)
        rows.append((c["name"], c["pkg"], c["version"], c["rel"], c["lic"], c["cop"], c["derived"], c["dims"][0],
                     c["dims"][1], os.path.getsize(dest), c["out_sha"], c["kind"], c["q"], c["note"]))
    manifest = os.path.join(d, "MANIFEST.tsv")
    names_here = {r[0] for r in rows}
    if os.path.exists(manifest):
        with open(manifest, encoding="utf-8") as f:
            next(f, None)
            for line in f:
                old = line.split("\t", 1)[0]
                if old and old not in names_here and "/" not in old and os.path.exists(os.path.join(d, old)):
                    os.remove(os.path.join(d, old))
    with open(manifest + ".tmp", "w", encoding="utf-8") as f:
        f.write("\t".join(HEADER) + "\n")
        for r in rows:
            f.write("\t".join(str(x).replace("\t", " ").replace("\n", " ") for x in r) + "\n")
    os.replace(manifest + ".tmp", manifest)
    with open(os.path.join(d, "DROPPED.tsv"), "w", encoding="utf-8") as f:
        f.write("file\treason\tdetail\n")
        for n, why in sorted(drops[setname]):
            f.write("%s\t%s\t%s\n" % (n, why[0], why[1]))
    summary[setname] = rows

# ---------- README ----------
lines = ["# Robustness benchmark image sets", "",
         "Made by `bench/assemble_robustness_corpus.sh` from Debian packages (nothing installed; see its header).",
         "`corpus/` holds real photos to enrol; `distractors/` holds other images that must never match them.",
         "No two files across both sets are within PDQ Hamming distance %d of each other, also after a flip or"
         " rotation; files with PDQ quality < %d or a shorter side < %d px were dropped (reasons per file in"
         " each set's DROPPED.tsv). Sources and licences per file are in each set's MANIFEST.tsv." % (NEAR, MIN_QUALITY, MIN_SIDE), ""]
for setname, rows in summary.items():
    lines += ["## %s: %d files" % (setname, len(rows)), "", "| package | version | files | kinds |", "| --- | --- | ---: | --- |"]
    per = collections.defaultdict(list)
    for r in rows:
        per[(r[1], r[2])].append(r[11])
    for (pkg, ver), kinds in sorted(per.items()):
        kc = collections.Counter(kinds)
        lines.append("| %s | %s | %d | %s |" % (pkg, ver, len(kinds), ", ".join("%d %s" % (n, k) for k, n in sorted(kc.items()))))
    kinds = collections.Counter(r[11] for r in rows)
    lines += ["", "By kind: " + ", ".join("%d %s" % (n, k) for k, n in sorted(kinds.items())) + ".", ""]
    dropped = sorted((w, n) for (s, w), n in stats.items() if s == setname)
    if dropped:
        lines += ["Dropped: " + ", ".join("%d %s" % (n, w) for w, n in dropped) + ".", ""]
with open(os.path.join(OUT, "README.md"), "w", encoding="utf-8") as f:
    f.write("\n".join(lines))
for setname, rows in summary.items():
    print("%s: %d files in %s" % (setname, len(rows), os.path.join(OUT, setname)))
for (s, why), n in sorted(stats.items()):
    print("  dropped from %s: %d %s" % (s, n, why))
PY
say "done in $((SECONDS - start)) s"
