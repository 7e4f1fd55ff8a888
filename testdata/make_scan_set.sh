#!/usr/bin/env bash
# Makes the enrol-then-scan demo set:
#   testdata/known/    5 distinct photos (JPEG, 512 px on the long side, quality 85)
#   testdata/crawled/  10 edited copies of the known photos (each edit made from the known JPEG, as a
#                      re-poster would) and 5 unrelated photos that must not match;
#                      scan_expected.tsv says which known photo each file is a copy of (or "-") and how.
# Sources are CC0 / public-domain photos from python3-skimage and libjxl-testdata (see LICENSES.md),
# fetched with apt-get download + dpkg-deb -x. Needs ImageMagick 6 (installed with apt-get if missing).
# Usage: testdata/make_scan_set.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=debian_sources.sh
source "$HERE/debian_sources.sh"
need_imagemagick ""
export PATH=/usr/bin:$PATH  # the real ImageMagick, not a stand-in earlier in PATH

FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
if [[ ! -f "$FONT" ]]; then
  echo "[make_scan_set] apt-get install -y fonts-dejavu-core (for the watermark text)" >&2
  apt-get install -y -q fonts-dejavu-core >&2 || { apt-get update -q >&2 && apt-get install -y -q fonts-dejavu-core >&2; }
fi

SK=$(debian_source python3-skimage)/usr/lib/python3/dist-packages/skimage/data
JXL=$(debian_source libjxl-testdata)/usr/share/libjxl-testdata

KNOWN=$HERE/known
CRAWLED=$HERE/crawled
mkdir -p "$KNOWN" "$CRAWLED"
rm -f "$KNOWN"/*.jpg "$CRAWLED"/*.jpg "$HERE/scan_expected.tsv"

jpeg() {  # jpeg SRC DEST [quality]: 512 px on the long side, sRGB, metadata stripped
  convert "$1" -resize '512x512>' -colorspace sRGB -type TrueColor -strip -sampling-factor 2x2 -quality "${3:-85}" "$2"
}

echo "[make_scan_set] known/" >&2
jpeg "$SK/coffee.png" "$KNOWN/coffee.jpg"
jpeg "$SK/rocket.jpg" "$KNOWN/rocket.jpg"
jpeg "$SK/astronaut.png" "$KNOWN/astronaut.jpg"
jpeg "$JXL/external/wesaturate/500px/cvo9xd_keong_macan_srgb8.png" "$KNOWN/coast.jpg"
jpeg "$JXL/external/wesaturate/500px/tmshre_riaphotographs_srgb8.png" "$KNOWN/tulips.jpg"

echo "[make_scan_set] crawled/" >&2
printf 'file\tcopy_of\tedit\n' > "$HERE/scan_expected.tsv"
edit() {  # edit NAME KNOWN DESCRIPTION IM-ARGS...
  local name=$1 src=$2 what=$3
  shift 3
  convert "$KNOWN/$src" "$@" -strip "$CRAWLED/$name"
  printf '%s\t%s\t%s\n' "$name" "$src" "$what" >> "$HERE/scan_expected.tsv"
}
watermark=(-gravity southeast -font "$FONT" -pointsize 22
           -fill '#0008' -annotate +9+7 'reposted @ example' -fill '#fffc' -annotate +10+8 'reposted @ example')
edit coffee_half.jpg      coffee.jpg    "resized to 50%"                   -resize 50% -quality 85
edit coffee_q60.jpg       coffee.jpg    "re-encoded JPEG quality 60"       -quality 60
edit rocket_mirror.jpg    rocket.jpg    "mirrored horizontally"            -flop -quality 85
edit rocket_watermark.jpg rocket.jpg    "text watermark, bottom right"     "${watermark[@]}" -quality 85
edit astronaut_crop4.jpg  astronaut.jpg "cropped 4% (2% off each side)"    -gravity center -crop 96%x96%+0+0 +repage -quality 85
edit astronaut_grey.jpg   astronaut.jpg "greyscale"                        -colorspace Gray -quality 85
edit coast_rot90.jpg      coast.jpg     "rotated 90 degrees clockwise"     -rotate 90 -quality 85
edit coast_q60.jpg        coast.jpg     "re-encoded JPEG quality 60"       -quality 60
edit tulips_watermark.jpg tulips.jpg    "text watermark, bottom right"     "${watermark[@]}" -quality 85
edit tulips_half.jpg      tulips.jpg    "resized to 50%"                   -resize 50% -quality 85

unrelated() {  # unrelated NAME SRC
  jpeg "$2" "$CRAWLED/$1"
  printf '%s\t-\tunrelated photo (must not match)\n' "$1" >> "$HERE/scan_expected.tsv"
}
unrelated blossom.jpg   "$JXL/external/wesaturate/500px/u76c0g_bliznaca_srgb8.png"
unrelated retina.jpg    "$SK/retina.jpg"
unrelated cameraman.jpg "$SK/camera.png"
unrelated coins.jpg     "$SK/coins.png"
unrelated flower.jpg    "$JXL/jxl/flower/flower_small.q85_444_non_interleaved.jpg"

# Checks: every file a JPEG under 150 KB.
fail=0
for f in "$KNOWN"/*.jpg "$CRAWLED"/*.jpg; do
  size=$(stat -c %s "$f")
  info=$(identify -format '%m %wx%h %[colorspace]' "$f")
  if [[ "$info" == JPEG* && $size -lt 153600 ]]; then
    printf '  ok   %-32s %s %6d B\n' "${f#"$HERE"/}" "$info" "$size"
  else
    printf '  FAIL %-32s %s %6d B\n' "${f#"$HERE"/}" "$info" "$size"; fail=1
  fi
done
exit $fail
