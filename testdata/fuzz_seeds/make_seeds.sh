#!/usr/bin/env bash
# Makes testdata/fuzz_seeds/: tiny, valid starting inputs for the libFuzzer
# harnesses in fuzz/ (docs/reliability.md, "Fuzzing"). Small on purpose: with
# coverage instrumentation PDQ costs ~0.25 s per 640x360 picture, so the
# photos and clips in testdata/ would let a harness run a few inputs a second.
#   image/         48 px versions of testdata/formats (every container and colour mode, EXIF 6)
#   video/         2 s, 96x72 cuts of testdata/video/street_vtest.mp4, one per container and codec
#   hash_list/     csv (quoted fields, empty quality), csv with BOM and CRLF, plain, vPDQ
#   catalog_open/  a catalog (schema 2) made with the built CLI: an enrolled photo, a vPDQ
#                  import (video frames), a csv import and a withdrawn case (testdata/catalog/
#                  schema1.db, schema 1, is the harness's other seed)
# Usage: testdata/fuzz_seeds/make_seeds.sh [path/to/hashwatch]   (default build/bin/hashwatch;
# needs ImageMagick 6 and ffmpeg with libx264, libx265, libvpx, libaom, libtheora)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TESTDATA=$(cd "$HERE/.." && pwd)
HW=${1:-$TESTDATA/../build/bin/hashwatch}
export PATH=/usr/bin:$PATH # the real ImageMagick, not a stand-in earlier in PATH
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# ---------- image: 48 px copies, metadata stripped but EXIF orientation kept ----------
mkdir -p "$HERE/image"
rm -f "$HERE/image"/*
for f in "$TESTDATA"/formats/photo*; do
  name=$(basename "$f")
  opts=(-strip)
  case "$name" in
    photo_exif6.jpg) opts=() ;; # EXIF kept: orientation 6
    photo_exif[138].jpg) continue ;;
    photo_progressive.jpg) opts+=(-interlace JPEG) ;;
  esac
  convert -define png:exclude-chunks=date,time "$f" -resize 48x48 "${opts[@]}" -quality 85 \
    "$HERE/image/$name"
done
# The 16-bit and palette PNGs keep their colour type only when asked again.
convert -define png:exclude-chunks=date,time "$TESTDATA/formats/photo_rgb16.png" -resize 48x48 \
  -strip -depth 16 PNG48:"$HERE/image/photo_rgb16.png"
convert -define png:exclude-chunks=date,time "$TESTDATA/formats/photo_palette.png" -resize 48x48 \
  -strip -colors 64 PNG8:"$HERE/image/photo_palette.png"

# ---------- video: 2 s, 96x72, 8 fps ----------
mkdir -p "$HERE/video"
rm -f "$HERE/video"/*
SRC=$TESTDATA/video/street_vtest.mp4
ff() { ffmpeg -hide_banner -loglevel error -y -t 2 -i "$SRC" -an -map_metadata -1 -fflags +bitexact "$@"; }
V=(-vf "scale=96:72,fps=8")
ff "${V[@]}" -c:v libx264 -preset veryslow -crf 32 -pix_fmt yuv420p "$TMP/h264.mp4"
# Rotation metadata (the engine turns frames upright from it).
ffmpeg -hide_banner -loglevel error -y -i "$TMP/h264.mp4" -c copy -metadata:s:v:0 rotate=90 \
  "$HERE/video/h264_rotated.mp4"
ff -vf scale=96:54,fps=8,pad=96:96:0:21:black -c:v libvpx-vp9 -crf 45 -b:v 0 "$HERE/video/vp9_letterbox.webm"
ff "${V[@]}" -c:v mpeg4 -q:v 12 "$HERE/video/mpeg4.avi"
ff -vf scale=64:48,fps=4 -c:v mjpeg -q:v 20 "$HERE/video/mjpeg.mkv"
ff "${V[@]}" -c:v mpeg2video -q:v 15 "$HERE/video/mpeg2.ts"
ff "${V[@]}" -c:v flv -q:v 15 "$HERE/video/sorenson.flv"
ff "${V[@]}" -c:v libtheora -q:v 3 "$HERE/video/theora.ogv"
ff "${V[@]}" -c:v libx265 -x265-params log-level=error -crf 35 -tag:v hvc1 "$HERE/video/hevc.mp4"
ff "${V[@]}" -c:v libaom-av1 -crf 50 -cpu-used 8 "$HERE/video/av1.mkv"
ff -vf scale=64:72,fps=8,setsar=3/2 -c:v libx264 -preset veryslow -crf 32 -pix_fmt yuv420p \
  "$HERE/video/anamorphic_sar.mp4"
ff "${V[@]}" -c:v libvpx -crf 40 -b:v 100k "$HERE/video/vp8.webm"

# ---------- hash lists (PDQ hashes of testdata/known/coffee.jpg and testdata/catalog/README.md) ----------
mkdir -p "$HERE/hash_list"
rm -f "$HERE/hash_list"/*
H1=04629e779e66365cb983b8668827f27c21a779e61e36e1f8c79927e27c0299e0
H2=8c629e779a663698b9a33866c026726c21a679f61eb6e1f8c79ba7e23c8299e0
H3=5feb5321f01da156898e2bf629a5d3438412cdbd23f48942464526315db33ffd
H4=c792386d879378648f1b40e43f1bc0e03f1cc2e33d3cc2537cec831b34e4f376
printf 'pdq_hex,quality,case,label\n%s,100,2024-0113,submitted 13 Jan\n"%s",,"2024-0200","a ""quoted"", label"\n%s,30,2024-0113,\n' \
  "$H1" "$H4" "$H3" >"$HERE/hash_list/list.csv"
printf '\xef\xbb\xbfPDQ_HEX, Quality, Case, Label\r\n%s,99,CRLF-1,bom and crlf\r\n' "$H1" \
  >"$HERE/hash_list/list_bom_crlf.csv"
printf '# one hash per line\n%s\n\n%s\n' "$H2" "${H3^^}" >"$HERE/hash_list/plain.txt"
printf '0,100,%s,0.000\n30,100,%s,1.000\n60,45,%s,2.000\n' "$H2" "$H3" "$H4" \
  >"$HERE/hash_list/video.vpdq"

# ---------- catalogs, with the CLI ----------
mkdir -p "$HERE/catalog_open"
rm -f "$HERE/catalog_open"/*
"$HW" enroll --db "$TMP/mixed.db" --case PHOTO-1 --label photo --operator seed \
  "$TESTDATA/known/coffee.jpg" >/dev/null
printf '0,100,%s,0.000\n30,100,%s,1.000\n60,40,%s,2.000\n' "$H2" "$H3" "$H4" >"$TMP/v.vpdq"
"$HW" import --db "$TMP/mixed.db" --case VIDEO-1 --operator seed "$TMP/v.vpdq" >/dev/null
printf 'pdq_hex,quality,case,label\n%s,90,LIST-1,a list\n%s,,LIST-2,\n' "$H4" "$H3" >"$TMP/l.csv"
"$HW" import --db "$TMP/mixed.db" --operator seed "$TMP/l.csv" >/dev/null
"$HW" withdraw --db "$TMP/mixed.db" --case LIST-2 --operator seed >/dev/null
# The CLI checkpoints on close: the main file alone holds everything.
[ ! -e "$TMP/mixed.db-wal" ] || { echo "make_seeds: the catalog left a WAL behind" >&2; exit 1; }
cp "$TMP/mixed.db" "$HERE/catalog_open/mixed_v2.db"
chmod 644 "$HERE"/catalog_open/*

du -sh "$HERE"
