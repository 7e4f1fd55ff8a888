#!/usr/bin/env bash
# Makes testdata/formats/: one photo (testdata/images/skimage_chelsea.png, CC0, cut to 320x208) saved in
# every container / colour mode the decoder must handle, then checks each output with identify/exiftool.
# Usage: testdata/make_formats.sh      (needs ImageMagick 6 and exiftool; installs them with apt-get if missing)
#
# Transparent files (photo_rgba.png, photo_grey_alpha.png, photo_alpha.webp) are opaque inside a centred
# ellipse (semi-axes 135x85 px) and fully transparent (alpha 0) outside it; the colour stored under the
# transparent pixels is black. photo_anim.gif: frame 1 is the photo, frame 2 is a different photo
# (skimage rocket). photo_exifN.jpg: EXIF Orientation N, pixels stored so that applying N gives the
# upright photo (the same picture as photo_baseline.jpg).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=debian_sources.sh
source "$HERE/debian_sources.sh"
need_imagemagick exiftool
export PATH=/usr/bin:$PATH  # the real ImageMagick, not a stand-in earlier in PATH

SRC=$HERE/images/skimage_chelsea.png
SRC2=$HERE/images/skimage_rocket.jpg
[[ -f "$SRC" && -f "$SRC2" ]] || "$HERE/fetch_images.sh"
OUT=$HERE/formats
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"
rm -f "$OUT"/photo*

# Deterministic output: no metadata, no timestamps.
# shellcheck disable=SC2054  # the comma belongs to the -define value
IM=(convert -define png:exclude-chunks=date,time)
W=320 H=208
"${IM[@]}" "$SRC" -resize ${W}x${H}^ -gravity center -extent ${W}x${H} +repage -strip "$TMP/base.png"
"${IM[@]}" "$SRC2" -resize ${W}x${H}^ -gravity center -extent ${W}x${H} +repage -strip "$TMP/other.png"
"${IM[@]}" -size ${W}x${H} xc:black -fill white -draw "ellipse 160,104 135,85 0,360" "$TMP/mask.png"
# RGBA: alpha from the mask; fully transparent pixels get colour black (-alpha background).
"${IM[@]}" "$TMP/base.png" "$TMP/mask.png" -alpha off -compose CopyOpacity -composite \
  -background black -alpha background -strip "$TMP/rgba.png"

echo "[make_formats] writing $OUT" >&2
"${IM[@]}" "$TMP/base.png" -strip -interlace none -sampling-factor 2x2 -quality 90 "$OUT/photo_baseline.jpg"
"${IM[@]}" "$TMP/base.png" -strip -interlace JPEG -sampling-factor 2x2 -quality 90 "$OUT/photo_progressive.jpg"
"${IM[@]}" "$TMP/base.png" -strip -colorspace CMYK -quality 90 "$OUT/photo_cmyk.jpg"
"${IM[@]}" "$TMP/base.png" -strip -colorspace Gray -quality 90 "$OUT/photo_grey.jpg"
"${IM[@]}" "$TMP/base.png" -strip PNG24:"$OUT/photo_rgb8.png"
"${IM[@]}" "$TMP/base.png" -strip -depth 16 PNG48:"$OUT/photo_rgb16.png"
"${IM[@]}" "$TMP/base.png" -strip -colorspace Gray -define png:color-type=0 -define png:bit-depth=8 "$OUT/photo_grey.png"
"${IM[@]}" "$TMP/base.png" -strip -dither FloydSteinberg -colors 256 PNG8:"$OUT/photo_palette.png"
"${IM[@]}" "$TMP/rgba.png" -strip PNG32:"$OUT/photo_rgba.png"
"${IM[@]}" "$TMP/rgba.png" -strip -colorspace Gray -define png:color-type=4 -define png:bit-depth=8 "$OUT/photo_grey_alpha.png"
"${IM[@]}" "$TMP/base.png" -strip -define webp:lossless=false -quality 80 "$OUT/photo.webp"
"${IM[@]}" "$TMP/rgba.png" -strip -define webp:lossless=false -define webp:alpha-quality=100 -quality 80 "$OUT/photo_alpha.webp"
"${IM[@]}" "$TMP/base.png" -strip -type TrueColor BMP3:"$OUT/photo.bmp"
"${IM[@]}" "$TMP/base.png" -strip -depth 8 -compress LZW "$OUT/photo.tif"
"${IM[@]}" "$TMP/base.png" -strip -depth 16 -compress LZW "$OUT/photo_16bit.tif"
"${IM[@]}" -delay 50 "$TMP/base.png" "$TMP/other.png" -strip -loop 0 +repage "$OUT/photo_anim.gif"

# EXIF orientation: stored pixels are the upright photo turned the opposite way to what the tag asks.
#   1: as is; 3: tag says rotate 180; 6: tag says rotate 90 clockwise; 8: tag says rotate 90 anticlockwise.
for spec in 1:0 3:180 6:-90 8:90; do
  n=${spec%%:*} turn=${spec#*:}
  "${IM[@]}" "$TMP/base.png" -strip -rotate "$turn" -sampling-factor 2x2 -quality 90 "$OUT/photo_exif$n.jpg"
  exiftool -q -overwrite_original -n -Orientation="$n" "$OUT/photo_exif$n.jpg"
done

# ---------- checks ----------
fail=0
check() {  # check FILE FORMAT-STRING EXPECTED
  local got
  got=$(identify -format "$2\n" "$OUT/$1" 2>/dev/null | head -n1)
  if [[ "$got" == "$3" ]]; then
    printf '  ok   %-22s %s\n' "$1" "$got"
  else
    printf '  FAIL %-22s got [%s] want [%s]\n' "$1" "$got" "$3"; fail=1
  fi
}
echo "[make_formats] checking" >&2
check photo_baseline.jpg    '%m %wx%h %[colorspace] %[interlace] %[jpeg:sampling-factor]' 'JPEG 320x208 sRGB None 2x2,1x1,1x1'
check photo_progressive.jpg '%m %wx%h %[colorspace] %[interlace]' 'JPEG 320x208 sRGB JPEG'
check photo_cmyk.jpg        '%m %wx%h %[colorspace]' 'JPEG 320x208 CMYK'
check photo_grey.jpg        '%m %wx%h %[colorspace] %[channels]' 'JPEG 320x208 Gray gray'
check photo_rgb8.png        '%m %wx%h %[png:IHDR.color-type-orig] %[png:IHDR.bit-depth-orig]' 'PNG 320x208 2 8'
check photo_rgb16.png       '%m %wx%h %[png:IHDR.color-type-orig] %[png:IHDR.bit-depth-orig]' 'PNG 320x208 2 16'
check photo_grey.png        '%m %wx%h %[png:IHDR.color-type-orig] %[png:IHDR.bit-depth-orig]' 'PNG 320x208 0 8'
check photo_palette.png     '%m %wx%h %[png:IHDR.color-type-orig] %[png:IHDR.bit-depth-orig]' 'PNG 320x208 3 8'
check photo_rgba.png        '%m %wx%h %[png:IHDR.color-type-orig] %[png:IHDR.bit-depth-orig] min-alpha=%[fx:minima.a]' 'PNG 320x208 6 8 min-alpha=0'
check photo_grey_alpha.png  '%m %wx%h %[png:IHDR.color-type-orig] %[png:IHDR.bit-depth-orig] min-alpha=%[fx:minima.a]' 'PNG 320x208 4 8 min-alpha=0'
check photo.webp            '%m %wx%h %A' 'WEBP 320x208 False'
check photo_alpha.webp      '%m %wx%h %A min-alpha=%[fx:minima.a]' 'WEBP 320x208 True min-alpha=0'
check photo.bmp             '%m %wx%h %z' 'BMP3 320x208 8'
check photo.tif             '%m %wx%h %z %C' 'TIFF 320x208 8 LZW'
check photo_16bit.tif       '%m %wx%h %z %C' 'TIFF 320x208 16 LZW'
check photo_anim.gif        '%m %n %W %H %[scenes]' "GIF 2 $W $H 2"
frames=$(identify -format '%wx%h%X%Y;' "$OUT/photo_anim.gif")
if [[ "$frames" == "${W}x${H}+0+0;${W}x${H}+0+0;" ]]; then
  echo "  ok   photo_anim.gif         two full ${W}x${H} frames"
else
  echo "  FAIL photo_anim.gif         frames $frames"; fail=1
fi
diff12=$(compare -metric RMSE "$OUT/photo_anim.gif[0]" "$OUT/photo_anim.gif[1]" null: 2>&1 | sed 's/.*(\(.*\))/\1/') || true
if awk -v d="$diff12" 'BEGIN {exit !(d > 0.15)}'; then
  echo "  ok   photo_anim.gif         frame 2 differs from frame 1 (RMSE $diff12)"
else
  echo "  FAIL photo_anim.gif         frames too similar (RMSE $diff12)"; fail=1
fi
for n in 1 3 6 8; do
  f=photo_exif$n.jpg
  o=$(exiftool -s3 -n -Orientation "$OUT/$f")
  convert "$OUT/$f" -auto-orient "$TMP/upright.png"
  rmse=$(compare -metric RMSE "$TMP/upright.png" "$OUT/photo_exif1.jpg" null: 2>&1 | sed 's/.*(\(.*\))/\1/') || true
  dims=$(identify -format '%wx%h' "$OUT/$f")
  if [[ "$o" == "$n" ]] && awk -v d="$rmse" 'BEGIN {exit !(d < 0.02)}'; then
    printf '  ok   %-22s stored %s, Orientation=%s, upright RMSE vs exif1 %s\n' "$f" "$dims" "$o" "$rmse"
  else
    printf '  FAIL %-22s Orientation=%s RMSE=%s\n' "$f" "$o" "$rmse"; fail=1
  fi
done
du -ch "$OUT"/* | tail -n1 | sed 's/^/[make_formats] /' >&2
exit $fail
