#!/usr/bin/env bash
# Copies the real photos of testdata/images/ out of Debian packages (see LICENSES.md), unchanged.
# Usage: testdata/fetch_images.sh        (writes testdata/images/ next to this script)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=debian_sources.sh
source "$HERE/debian_sources.sh"

SKIMAGE=$(debian_source python3-skimage)/usr/lib/python3/dist-packages/skimage/data
JXL=$(debian_source libjxl-testdata)/usr/share/libjxl-testdata

OUT=$HERE/images
mkdir -p "$OUT"
copy() { install -m 0644 "$1" "$OUT/$2"; echo "[fetch_images] $2 <- ${1#"$HASHWATCH_CACHE"/unpacked/}" >&2; }
copy "$SKIMAGE/chelsea.png"  skimage_chelsea.png        # 451x300 RGB, CC0
copy "$SKIMAGE/coffee.png"   skimage_coffee.png         # 600x400 RGB, CC0
copy "$SKIMAGE/camera.png"   skimage_camera.png         # 512x512 grey, CC0
copy "$SKIMAGE/rocket.jpg"   skimage_rocket.jpg         # 640x427, public domain (SpaceX)
copy "$SKIMAGE/retina.jpg"   skimage_retina.jpg         # 1411x1411, CC0
copy "$JXL/jxl/flower/flower_cropped.jpg" libjxl_flower_cropped.jpg                       # 1040x1040, BSD-3-clause
copy "$JXL/external/wesaturate/500px/u76c0g_bliznaca_srgb8.png" wesaturate_bliznaca.png   # 500x500, CC0
