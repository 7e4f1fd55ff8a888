#!/usr/bin/env bash
# The demo's crawled videos (testdata/crawled_video/), made from the clips in testdata/video/ with Debian's
# ffmpeg: a re-posted excerpt of a known video, and an unrelated clip. What each is: scan_expected_video.tsv.
# Usage: testdata/make_crawled_video.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$HERE/crawled_video
mkdir -p "$OUT"
FF=(ffmpeg -nostdin -loglevel error -y -threads 1)
# 8 s of street_vtest.mp4 from 4.5 s, mirrored, letterboxed into 16:9 (640x360), re-encoded at a low bitrate.
"${FF[@]}" -ss 4.5 -t 8 -i "$HERE/video/street_vtest.mp4" -an \
  -vf "hflip,scale=480:360,pad=640:360:80:0:black,setsar=1" -c:v libx264 -preset medium -b:v 250k \
  -map_metadata -1 -fflags +bitexact -flags:v +bitexact "$OUT/reposted_street_excerpt.mp4"
# 6 s of an unrelated clip (must not match).
"${FF[@]}" -ss 2 -t 6 -i "$HERE/video/lebiniou_visual.mp4" -an -c:v libx264 -preset medium -b:v 200k \
  -map_metadata -1 -fflags +bitexact -flags:v +bitexact "$OUT/unrelated_clip.mp4"
ls -l "$OUT" >&2
