#!/usr/bin/env bash
# (Re)creates testdata/video/: short real clips taken out of Debian packages (see LICENSES.md, "video/"),
# trimmed, scaled and re-encoded with the `ffmpeg` command so the whole folder stays under ~3 MB.
# Usage: testdata/make_video_set.sh      (needs root for `apt-get`; installs Debian's `ffmpeg` if missing)
# The packages are fetched with `apt-get download` and unpacked with `dpkg-deb -x` by debian_sources.sh.
# Output is deterministic for a given ffmpeg build (single-threaded x264/libvpx, -bitexact, no metadata).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=debian_sources.sh
source "$HERE/debian_sources.sh"

if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then
  echo "[make_video_set] apt-get install -y ffmpeg" >&2
  apt-get install -y -q ffmpeg >&2 || { apt-get update -q >&2 && apt-get install -y -q ffmpeg >&2; }
fi

OPENCV=$(debian_source opencv-doc)/usr/share/doc/opencv-doc/examples/data
IMAGEIO=$(debian_source python3-imageio)/usr/lib/python3/dist-packages/imageio/resources/images
LEBINIOU=$(debian_source lebiniou-data)/usr/share/lebiniou/vue/media
GNOME=$(debian_source gnome-user-docs)/usr/share/help/C/gnome-help/figures

OUT=$HERE/video
mkdir -p "$OUT"

FF=(ffmpeg -nostdin -loglevel error -y -threads 1)
# No container/stream metadata (encoder strings, dates), bit-exact muxing.
CLEAN=(-map_metadata -1 -map_chapters -1 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact)
# H.264 as phones and upload sites write it: High profile, 4:2:0, a key frame every 2 s, moov in front.
x264() { # x264 FPS CRF
  printf '%s\n' -c:v libx264 -preset medium -crf "$2" -pix_fmt yuv420p -g "$(($1 * 2))" -keyint_min "$1" \
    -x264-params threads=1 -movflags +faststart
}

summary() {
  local f=$1
  printf '[make_video_set] %-28s %8d bytes  %s\n' "$(basename "$f")" "$(stat -c %s "$f")" \
    "$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name,width,height,r_frame_rate:format=duration \
        -of csv=p=0 "$f" | paste -sd' ')" >&2
}

# 1. Street footage, fixed camera, people walking (OpenCV's vtest.avi, 768x576 MS-MPEG4v3 at 10 fps, 79.5 s):
#    the first 20 s, scaled to 480x360, H.264 at its own 10 fps.
mapfile -t enc < <(x264 10 26)
"${FF[@]}" -i "$OPENCV/vtest.avi" -t 20 -vf "scale=480:360:flags=bicubic" -r 10 "${enc[@]}" -an "${CLEAN[@]}" \
  "$OUT/street_vtest.mp4"

# 2. A cockatoo filmed close up with a hand-held camera (imageio's cockatoo.mp4, 1280x720 H.264 4:4:4 at 20 fps
#    with an MP3 track, 14 s): whole clip, scaled to 640x360, 4:2:0; the sound kept as AAC (the one reference
#    with an audio stream, so a decoder must pick the video stream).
mapfile -t enc < <(x264 20 27)
"${FF[@]}" -i "$IMAGEIO/cockatoo.mp4" -vf "scale=640:360:flags=bicubic" "${enc[@]}" -c:a aac -b:a 48k -ac 1 \
  "${CLEAN[@]}" "$OUT/cockatoo.mp4"

# 3. A music visualisation recorded by Le Biniou (lebiniou-2021-06-10_12-28-28.mp4, 320x180 H.264, 30 fps,
#    22.3 s): the first 20 s, same size, re-encoded at a lower rate (the original is 2 MB).
mapfile -t enc < <(x264 30 30)
"${FF[@]}" -i "$LEBINIOU/lebiniou-2021-06-10_12-28-28.mp4" -t 20 "${enc[@]}" -an "${CLEAN[@]}" \
  "$OUT/lebiniou_visual.mp4"

# 4. A tree seen through a window, a hand passes at the end (OpenCV's tree.avi, 320x240 Cinepak, 15 fps,
#    29.6 s): nearly static footage; the last 20 s (from 9.6 s, so the hand is in), H.264 at 15 fps.
mapfile -t enc < <(x264 15 30)
"${FF[@]}" -ss 9.6 -i "$OPENCV/tree.avi" -t 20 -vf "format=yuv420p" -r 15 "${enc[@]}" -an "${CLEAN[@]}" "$OUT/tree.mp4"

# 5. A GNOME desktop screencast (display-dual-monitors.webm, 1024x768 VP8, 15 fps, 37.1 s): the first 20 s,
#    scaled to 512x384, kept as VP8 in WebM (the original codec and container).
"${FF[@]}" -i "$GNOME/display-dual-monitors.webm" -t 20 -vf "scale=512:384:flags=bicubic" \
  -c:v libvpx -b:v 150k -crf 12 -g 150 -deadline good -cpu-used 1 -an "${CLEAN[@]}" "$OUT/gnome_screencast.webm"

# 6. imageio's realshort.mp4 (320x240 H.264 + AAC, 1.2 s), copied unchanged: a clip shorter than most
#    sampling windows.
install -m 0644 "$IMAGEIO/realshort.mp4" "$OUT/realshort.mp4"

for f in "$OUT"/*; do summary "$f"; done
echo "[make_video_set] total $(du -cb "$OUT"/* | tail -n1 | cut -f1) bytes in $OUT" >&2
