#!/usr/bin/env bash
# Edited copies of a reference clip, as they turn up when a video is re-uploaded, for the video tests and the
# benchmark. Made with Debian's `ffmpeg` command (package `ffmpeg`; DejaVu Sans from `fonts-dejavu-core` for
# the text overlay).
#
# Usage:
#   make_video_edits.sh REF UNRELATED OUTDIR
#       One file per edit family of REF in OUTDIR, plus OUTDIR/manifest.tsv. UNRELATED is footage that shares
#       nothing with REF (another real clip); it is the filler of concat_with_unrelated and the `unrelated`
#       control. REF should be 10-30 s long (the excerpts need ~14 s; shorter refs give shorter spans).
#   make_video_edits.sh --long REF1 REF2 ... OUT.mp4
#       OUT.mp4: one ~LONG_SECONDS (default 180) s H.264 reference, 480x360 at 25 fps (LONG_SIZE, LONG_FPS),
#       made of the REFs in order (each scaled to cover the frame and centre-cropped). When the REFs are
#       shorter than that in total, a distinct lavfi pattern (life, mandelbrot, cellauto, sierpinski, testsrc2) follows
#       each REF to make up the length. Also writes OUT_excerpt.mp4 (a 10 s excerpt taken from inside the real
#       clip nearest the middle, starting at a non-integer time), OUT.tsv (manifest row for the excerpt) and
#       OUT.segments.tsv (`start	duration	source	source_start`, one row per segment).
#   make_video_edits.sh --compilation A B UNRELATED OUT.mp4
#       OUT.mp4: unrelated 6 s, A from 1.3 s for 8 s, unrelated 5 s, B from 2.6 s for 8 s, unrelated 4 s, at A's
#       size and frame rate (B and UNRELATED scaled to fit and padded with black when their shape differs:
#       pick A and B of the same aspect ratio to test the cut points alone). OUT.tsv lists A's and B's spans.
#
# manifest.tsv (and OUT.tsv): a header line, then tab-separated rows
#   file  family  query_start  ref_start  duration  expect  ref
# file: name in OUTDIR (a file may have several rows, one per copied span); query_start: where the copied span
# starts in the file (s); ref_start: where it comes from in the reference (s); duration: its length on the
# reference's clock (s; for speed_1p2 it lasts duration/1.2 in the file); expect: match | nomatch | error;
# ref: the reference's file name. nomatch and error rows carry 0 0 0.
#
# Outputs are deterministic for a given ffmpeg build (one thread per encoder, -bitexact, no metadata, fixed
# seed for the corrupted file). Every output is checked with ffprobe and summarised on stderr; the script fails
# when a file that should match has no video or the wrong length.
set -euo pipefail

FFMPEG=(ffmpeg -nostdin -loglevel error -y -threads 1)
CLEAN=(-map_metadata -1 -map_chapters -1 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact)
FONT=${HASHWATCH_FONT:-/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

die() { echo "make_video_edits: $*" >&2; exit 2; }
for tool in ffmpeg ffprobe python3; do
  command -v "$tool" >/dev/null || die "needs $tool (Debian: apt-get install ffmpeg python3)"
done

calc() { awk "BEGIN { printf \"%.10g\", $* }"; }   # calc 'EXPR' -> number
fmt3() { awk -v x="$1" 'BEGIN { printf "%.3f", x }'; }
even() { awk -v x="$1" 'BEGIN { v = int(x / 2 + 0.5) * 2; if (v < 2) v = 2; print v }'; }

# probe FILE: sets P_W P_H P_FPS (rational, e.g. 30000/1001) P_FPSF (float) P_DUR (s)
probe() {
  local line
  line=$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height,avg_frame_rate,r_frame_rate \
           -of csv=p=0 "$1" | head -n1)
  [[ -n "$line" ]] || die "$1: no video stream"
  IFS=, read -r P_W P_H P_FPS avg <<<"$line"
  [[ "$P_FPS" != 0/0 && "$P_FPS" != "" ]] || P_FPS=$avg
  P_FPSF=$(calc "$P_FPS")
  # Container duration; fall back to the stream's.
  P_DUR=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$1")
  [[ "$P_DUR" =~ ^[0-9.]+$ ]] || P_DUR=$(ffprobe -v error -select_streams v:0 -show_entries stream=duration -of csv=p=0 "$1")
}

# H.264 the way upload sites and phones write it; GOP left at x264's default (up to 250 frames) on purpose.
H264=(-c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -x264-params threads=1 -movflags +faststart)

# --- a tiny job pool: run FUNCTION ARGS... in the background, at most $JOBS at a time ------------------------
declare -a POOL_NAMES=()
POOL_DIR=
pool_start() { POOL_DIR=$(mktemp -d); trap 'rm -rf "$POOL_DIR"' EXIT; }
spawn() {
  local name=$1; shift
  while (($(jobs -rp | wc -l) >= JOBS)); do wait -n || true; done
  ( set +e; "$@"; echo $? >"$POOL_DIR/$name.rc" ) &
  POOL_NAMES+=("$name")
}
pool_wait() {
  wait || true
  local n bad=0
  for n in "${POOL_NAMES[@]}"; do
    if [[ "$(cat "$POOL_DIR/$n.rc" 2>/dev/null)" != 0 ]]; then echo "make_video_edits: FAILED: $n" >&2; bad=1; fi
  done
  ((bad == 0)) || exit 1
}

# --- checks -------------------------------------------------------------------------------------------------
CHECK_FAILED=0
# check FILE EXPECT QUERY_LEN: one line per file on stderr; for expect=match, QUERY_LEN (s) is what the
# file should last (0 = do not check).
check() {
  local f=$1 expect=$2 want=${3:-0} info size dur
  size=$(stat -c %s "$f")
  info=$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name,width,height,avg_frame_rate \
           -of csv=p=0 "$f" 2>/dev/null | head -n1 || true)
  dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$f" 2>/dev/null || true)
  printf '[make_video_edits] %-34s %9d B  %-7s  video=%-28s dur=%s\n' "$(basename "$f")" "$size" "$expect" \
    "${info:-none}" "${dur:-none}" >&2
  if [[ "$expect" == match && "$want" != 0 ]]; then
    if [[ -z "$info" || ! "$dur" =~ ^[0-9.]+$ ]] || awk -v d="$dur" -v w="$want" 'BEGIN { exit !(d < w - 0.6 || d > w + 0.6) }'; then
      echo "make_video_edits: CHECK FAILED: $f should last ${want}s with a video stream" >&2
      CHECK_FAILED=1
    fi
  fi
}

MANIFEST_ROWS=()
row() { # row FILE FAMILY QSTART RSTART DUR EXPECT REF
  MANIFEST_ROWS+=("$1	$2	$(fmt3 "$3")	$(fmt3 "$4")	$(fmt3 "$5")	$6	$7")
}
write_manifest() {
  { printf 'file\tfamily\tquery_start\tref_start\tduration\texpect\tref\n'; printf '%s\n' "${MANIFEST_ROWS[@]}"; } >"$1"
}

# --- hostile-file helpers (python3, standard library only) ------------------------------------------------
# truncate_copy SRC DST FRACTION: the first FRACTION of SRC's bytes.
truncate_copy() { head -c "$(( $(stat -c %s "$1") * $3 / 100 ))" "$1" >"$2"; }

# corrupt_copy SRC DST: 48 runs of 24 random bytes (random.Random(20240611)) over the middle 40-60% of SRC.
corrupt_copy() {
  python3 - "$1" "$2" <<'PY'
import random, sys
data = bytearray(open(sys.argv[1], 'rb').read())
rng = random.Random(20240611)
n = len(data)
for _ in range(48):
    pos = rng.randrange(int(n * 0.40), int(n * 0.60) - 24)
    data[pos:pos + 24] = rng.randbytes(24)
open(sys.argv[2], 'wb').write(bytes(data))
PY
}

# lie_duration SRC DST SECONDS: rewrites the duration fields of the mvhd (movie header), every tkhd (track
# header) and every mdhd (media header) of an MP4 so that they all claim SECONDS; the sample tables (stts,
# stsz, ...) and the media data are untouched, so the real content keeps its true length.
lie_duration() {
  python3 - "$1" "$2" "$3" <<'PY'
import struct, sys
src, dst, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
data = bytearray(open(src, 'rb').read())
movie_ts = None
patched = []

def walk(start, end):
    global movie_ts
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack('>I4s', data[pos:pos + 8])
        hdr = 8
        if size == 1:
            size = struct.unpack('>Q', data[pos + 8:pos + 16])[0]; hdr = 16
        elif size == 0:
            size = end - pos
        body = pos + hdr
        if kind in (b'moov', b'trak', b'mdia'):
            walk(body, pos + size)
        elif kind in (b'mvhd', b'mdhd', b'tkhd'):
            version = data[body]
            if kind == b'tkhd':
                # version, flags, creation, modification, track_ID, reserved, duration (movie timescale)
                off, wide, ts = (body + 4 + 16 + 4 + 4, True, movie_ts) if version == 1 else (body + 4 + 8 + 4 + 4, False, movie_ts)
            else:
                # version, flags, creation, modification, timescale, duration
                ts_off = body + 4 + (16 if version == 1 else 8)
                ts = struct.unpack('>I', data[ts_off:ts_off + 4])[0]
                if kind == b'mvhd':
                    movie_ts = ts
                off, wide = ts_off + 4, version == 1
            value = int(seconds * ts)
            if wide:
                data[off:off + 8] = struct.pack('>Q', value)
            else:
                data[off:off + 4] = struct.pack('>I', min(value, 0xFFFFFFFF))
            patched.append(kind.decode())
        pos += size

walk(0, len(data))
if 'mvhd' not in patched:
    sys.exit('no mvhd found')
open(dst, 'wb').write(bytes(data))
PY
}

# --- the edit families ----------------------------------------------------------------------------------
edits_mode() {
  local REF=$1 UNREL=$2 OUT=$3
  [[ -f "$REF" ]] || die "no such file: $REF"
  [[ -f "$UNREL" ]] || die "no such file: $UNREL"
  mkdir -p "$OUT"
  [[ -f "$FONT" ]] || die "font $FONT missing (Debian: apt-get install fonts-dejavu-core)"
  local refname; refname=$(basename "$REF")
  probe "$REF"
  local W=$P_W H=$P_H FPS=$P_FPS FPSF=$P_FPSF D=$P_DUR
  awk -v d="$D" 'BEGIN { exit !(d >= 9) }' || die "$REF lasts ${D}s; need at least 9 s"
  echo "[make_video_edits] reference $refname: ${W}x${H}, ${FPS} fps, ${D} s" >&2

  # Spans that depend on the reference's length.
  local TRIM_START=3.4 TRIM_LEN LATE=0.5 CAT_REF_START=2.0 CAT_LEN
  TRIM_LEN=$(calc "($D - 3.4 >= 9.6) ? 9.6 : $D - 3.4")
  CAT_LEN=$(calc "($D - 2.0 >= 10) ? 10 : $D - 2.0")
  local LATE_LEN; LATE_LEN=$(calc "$D - $LATE")
  # Frame rate after fps_change: 30 -> 24, 20-29 -> 15, below that (e.g. 10 fps) up to 25 by duplication.
  local FPS2
  if awk -v f="$FPSF" 'BEGIN { exit !(f >= 28) }'; then FPS2=24
  elif awk -v f="$FPSF" 'BEGIN { exit !(f >= 18) }'; then FPS2=15
  else FPS2=25; fi
  # Letterbox/pillarbox into 16:9 (or, when the picture is already 16:9 or wider, into 4:3: top/bottom bars).
  local PADW PADH
  if awk -v w="$W" -v h="$H" 'BEGIN { exit !(w / h < 16 / 9 - 0.01) }'; then
    PADW=$(even "$(calc "$H * 16 / 9")"); PADH=$H
  else
    PADW=$W; PADH=$(even "$(calc "$W * 3 / 4")")
  fi
  # 9:16 canvas for the blurred-fill "vertical video".
  local VW VH; VW=$(even "$(calc "($W < 480) ? $W : 480")"); VH=$(even "$(calc "$VW * 16 / 9")")
  # The background is blurred at a quarter of the size, then enlarged (fast, and looks the same).
  local VW4 VH4; VW4=$(even "$(calc "$VW / 4")"); VH4=$(even "$(calc "$VH / 4")")
  local FS=$((H / 14 > 10 ? H / 14 : 10))

  pool_start
  local S=(-i "$REF")
  spawn reencode_lowbitrate "${FFMPEG[@]}" "${S[@]}" -c:v libx264 -preset veryfast -b:v 90k -maxrate 120k -bufsize 240k \
    -pix_fmt yuv420p -x264-params threads=1 -movflags +faststart -an "${CLEAN[@]}" "$OUT/reencode_lowbitrate.mp4"
  spawn vp9_webm "${FFMPEG[@]}" "${S[@]}" -c:v libvpx-vp9 -b:v 250k -deadline realtime -cpu-used 8 -row-mt 0 \
    -pix_fmt yuv420p -an "${CLEAN[@]}" "$OUT/vp9_webm.webm"
  spawn mpeg4_avi "${FFMPEG[@]}" "${S[@]}" -c:v mpeg4 -vtag xvid -q:v 6 -an "${CLEAN[@]}" "$OUT/mpeg4_avi.avi"
  spawn mjpeg "${FFMPEG[@]}" "${S[@]}" -c:v mjpeg -q:v 7 -pix_fmt yuvj420p -an "${CLEAN[@]}" "$OUT/mjpeg.mov"
  spawn scale_half "${FFMPEG[@]}" "${S[@]}" -vf "scale=trunc(iw/4)*2:trunc(ih/4)*2:flags=bicubic" \
    "${H264[@]}" -an "${CLEAN[@]}" "$OUT/scale_half.mp4"
  spawn pad_letterbox_16x9 "${FFMPEG[@]}" "${S[@]}" -vf "pad=$PADW:$PADH:(ow-iw)/2:(oh-ih)/2:black,setsar=1" \
    "${H264[@]}" -an "${CLEAN[@]}" "$OUT/pad_letterbox_16x9.mp4"
  spawn vertical_blurfill_9x16 "${FFMPEG[@]}" "${S[@]}" -filter_complex \
    "[0:v]setsar=1,split[a][b];[a]scale=-2:$VH4,crop=$VW4:$VH4,boxblur=luma_radius=3:luma_power=2,scale=$VW:$VH:flags=bicubic,eq=brightness=-0.06[bg];[b]scale=$VW:-2[fg];[bg][fg]overlay=(W-w)/2:(H-h)/2,setsar=1[v]" \
    -map "[v]" "${H264[@]}" -an "${CLEAN[@]}" "$OUT/vertical_blurfill_9x16.mp4"
  # 5% off each edge (10% of each dimension).
  spawn crop_10pct "${FFMPEG[@]}" "${S[@]}" -vf "crop=trunc(iw*0.9/2)*2:trunc(ih*0.9/2)*2" \
    "${H264[@]}" -an "${CLEAN[@]}" "$OUT/crop_10pct.mp4"
  spawn mirror "${FFMPEG[@]}" "${S[@]}" -vf hflip "${H264[@]}" -an "${CLEAN[@]}" "$OUT/mirror.mp4"
  spawn fps_change "${FFMPEG[@]}" "${S[@]}" -vf "fps=$FPS2" "${H264[@]}" -an "${CLEAN[@]}" "$OUT/fps_change.mp4"
  spawn speed_1p2 "${FFMPEG[@]}" "${S[@]}" -vf "setpts=PTS/1.2,fps=$FPS" "${H264[@]}" -an "${CLEAN[@]}" "$OUT/speed_1p2.mp4"
  spawn trim_excerpt "${FFMPEG[@]}" -ss "$TRIM_START" -t "$TRIM_LEN" "${S[@]}" "${H264[@]}" -an "${CLEAN[@]}" \
    "$OUT/trim_excerpt.mp4"
  spawn late_start_0p5 "${FFMPEG[@]}" -ss "$LATE" "${S[@]}" "${H264[@]}" -an "${CLEAN[@]}" "$OUT/late_start_0p5.mp4"
  # Unrelated 5 s (from its start), the reference from 2.0 s for CAT_LEN s, unrelated 5 s (from its 8th s);
  # the unrelated clip is looped if short, scaled to fit the reference's frame and padded.
  local fitu="scale=$W:$H:force_original_aspect_ratio=decrease,pad=$W:$H:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=$FPS,format=yuv420p"
  spawn concat_with_unrelated "${FFMPEG[@]}" \
    -stream_loop -1 -t 5 -i "$UNREL" -ss "$CAT_REF_START" -t "$CAT_LEN" -i "$REF" -stream_loop -1 -ss 8 -t 5 -i "$UNREL" \
    -filter_complex "[0:v]$fitu,trim=duration=5,setpts=PTS-STARTPTS[u1];[1:v]setsar=1,fps=$FPS,format=yuv420p,setpts=PTS-STARTPTS[r];[2:v]$fitu,trim=duration=5,setpts=PTS-STARTPTS[u2];[u1][r][u2]concat=n=3:v=1:a=0[v]" \
    -map "[v]" "${H264[@]}" -an "${CLEAN[@]}" "$OUT/concat_with_unrelated.mp4"
  spawn text_overlay "${FFMPEG[@]}" "${S[@]}" -vf \
    "drawtext=fontfile=$FONT:text='reposted @ example':fontsize=$FS:fontcolor=white:box=1:boxcolor=black@0.55:boxborderw=$((FS / 3)):x=w-tw-$((FS / 2)):y=h-th-$((FS / 2)),drawtext=fontfile=$FONT:text='watch till the end':fontsize=$FS:fontcolor=yellow:borderw=2:bordercolor=black:x=(w-tw)/2:y=$((FS / 2))" \
    "${H264[@]}" -an "${CLEAN[@]}" "$OUT/text_overlay.mp4"
  spawn greyscale "${FFMPEG[@]}" "${S[@]}" -vf "hue=s=0" "${H264[@]}" -an "${CLEAN[@]}" "$OUT/greyscale.mp4"
  spawn unrelated "${FFMPEG[@]}" -t 20 -i "$UNREL" "${H264[@]}" -an "${CLEAN[@]}" "$OUT/unrelated.mp4"
  # Hostile files. A plain H.264 copy with the moov atom at the front (+faststart) is the base of three.
  make_hostile() {
    "${FFMPEG[@]}" -i "$REF" "${H264[@]}" -an "${CLEAN[@]}" "$OUT/.base.mp4"
    truncate_copy "$OUT/.base.mp4" "$OUT/truncated.mp4" 40
    corrupt_copy "$OUT/.base.mp4" "$OUT/corrupt.mp4"
    lie_duration "$OUT/.base.mp4" "$OUT/lying_duration.mp4" 3600
    rm -f "$OUT/.base.mp4"
  }
  spawn hostile make_hostile
  spawn audio_only "${FFMPEG[@]}" -f lavfi -i "sine=frequency=440:sample_rate=44100:duration=10" -c:a aac -b:a 64k \
    "${CLEAN[@]}" "$OUT/audio_only.m4a"
  : >"$OUT/zero_length.mp4"
  pool_wait

  # How much of the truncated file is still decodable: the last packet that ends before the cut.
  local TRUNC_LEN
  TRUNC_LEN=$(ffprobe -v error -select_streams v:0 -show_entries packet=pts_time,duration_time,pos,size \
      -of csv=p=0 "$OUT/truncated.mp4" 2>/dev/null |
    awk -F, -v n="$(stat -c %s "$OUT/truncated.mp4")" '$3 != "N/A" && $3 + $4 <= n && $1 + $2 > m { m = $1 + $2 } END { printf "%.3f", m + 0 }')

  local r=$refname
  row reencode_lowbitrate.mp4 reencode_lowbitrate 0 0 "$D" match "$r"
  row vp9_webm.webm vp9_webm 0 0 "$D" match "$r"
  row mpeg4_avi.avi mpeg4_avi 0 0 "$D" match "$r"
  row mjpeg.mov mjpeg 0 0 "$D" match "$r"
  row scale_half.mp4 scale_half 0 0 "$D" match "$r"
  row pad_letterbox_16x9.mp4 pad_letterbox_16x9 0 0 "$D" match "$r"
  row vertical_blurfill_9x16.mp4 vertical_blurfill_9x16 0 0 "$D" match "$r"
  row crop_10pct.mp4 crop_10pct 0 0 "$D" match "$r"
  row mirror.mp4 mirror 0 0 "$D" match "$r"
  row fps_change.mp4 fps_change 0 0 "$D" match "$r"
  row speed_1p2.mp4 speed_1p2 0 0 "$D" match "$r"
  row trim_excerpt.mp4 trim_excerpt 0 "$TRIM_START" "$TRIM_LEN" match "$r"
  row late_start_0p5.mp4 late_start_0p5 0 "$LATE" "$LATE_LEN" match "$r"
  row concat_with_unrelated.mp4 concat_with_unrelated 5 "$CAT_REF_START" "$CAT_LEN" match "$r"
  row text_overlay.mp4 text_overlay 0 0 "$D" match "$r"
  row greyscale.mp4 greyscale 0 0 "$D" match "$r"
  row unrelated.mp4 unrelated 0 0 0 nomatch "$r"
  if awk -v t="$TRUNC_LEN" 'BEGIN { exit !(t >= 3) }'; then
    row truncated.mp4 truncated 0 0 "$TRUNC_LEN" match "$r"
  else
    row truncated.mp4 truncated 0 0 0 error "$r"
  fi
  row corrupt.mp4 corrupt 0 0 "$D" match "$r"
  row zero_length.mp4 zero_length 0 0 0 error "$r"
  row audio_only.m4a audio_only 0 0 0 error "$r"
  row lying_duration.mp4 lying_duration 0 0 "$D" match "$r"
  write_manifest "$OUT/manifest.tsv"

  # Checks, one line per file.
  local qlen_speed qlen_cat
  qlen_speed=$(calc "$D / 1.2"); qlen_cat=$(calc "10 + $CAT_LEN")
  local f
  for f in reencode_lowbitrate.mp4 vp9_webm.webm mpeg4_avi.avi mjpeg.mov scale_half.mp4 pad_letterbox_16x9.mp4 \
           vertical_blurfill_9x16.mp4 crop_10pct.mp4 mirror.mp4 fps_change.mp4 text_overlay.mp4 greyscale.mp4 corrupt.mp4; do
    check "$OUT/$f" match "$D"
  done
  check "$OUT/speed_1p2.mp4" match "$qlen_speed"
  check "$OUT/trim_excerpt.mp4" match "$TRIM_LEN"
  check "$OUT/late_start_0p5.mp4" match "$LATE_LEN"
  check "$OUT/concat_with_unrelated.mp4" match "$qlen_cat"
  check "$OUT/unrelated.mp4" nomatch
  check "$OUT/truncated.mp4" "truncated(${TRUNC_LEN}s decodable)"
  check "$OUT/lying_duration.mp4" "lying(header says 3600s)"
  check "$OUT/zero_length.mp4" error
  check "$OUT/audio_only.m4a" error
  ((CHECK_FAILED == 0)) || exit 1
  echo "[make_video_edits] ${#MANIFEST_ROWS[@]} rows in $OUT/manifest.tsv" >&2
}

# --- a long reference made of real clips ----------------------------------------------------------------
long_mode() {
  (($# >= 2)) || die "usage: --long REF1 [REF2 ...] OUT.mp4"
  local out=${!#} refs=("${@:1:$#-1}")
  local target=${LONG_SECONDS:-180} size=${LONG_SIZE:-480x360} fps=${LONG_FPS:-25}
  local LW=${size%x*} LH=${size#*x}
  local f real_total=0
  declare -a durs=()
  for f in "${refs[@]}"; do
    [[ -f "$f" ]] || die "no such file: $f"
    probe "$f"
    # Whole frames at the output rate.
    local frames; frames=$(awk -v d="$P_DUR" -v r="$fps" 'BEGIN { print int(d * r) }')
    durs+=("$frames")
    real_total=$((real_total + frames))
  done
  local target_frames=$((target * fps)) fill_each=0
  ((real_total >= target_frames)) || fill_each=$(((target_frames - real_total) / ${#refs[@]}))
  # Cheap to render and to encode (full-size mandelbrot takes seconds per second of footage), and the same
  # on every run (FFmpeg 5.1's `gradients` source is not, even with a seed).
  local fillers=(
    "life=size=$((LW / 8))x$((LH / 8)):rate=$fps:seed=11:ratio=0.3:mold=10:life_color=#ffb020:death_color=#203060:mold_color=#102010,scale=$LW:$LH:flags=neighbor"
    "mandelbrot=size=$((LW / 2))x$((LH / 2)):rate=$fps:start_x=0.2925:start_y=0.0149:start_scale=1:end_scale=0.01:end_pts=300:maxiter=256,scale=$LW:$LH:flags=bicubic"
    "cellauto=size=$((LW / 4))x$((LH / 4)):rate=$fps:rule=30:seed=5:scroll=1,scale=$LW:$LH:flags=neighbor"
    "sierpinski=size=${LW}x${LH}:rate=$fps:seed=7:type=carpet"
    "life=size=$((LW / 6))x$((LH / 6)):rate=$fps:seed=99:ratio=0.12:mold=0:life_color=#40e0ff:death_color=#000000,scale=$LW:$LH:flags=neighbor"
    "testsrc2=size=${LW}x${LH}:rate=$fps"
    "cellauto=size=$((LW / 4))x$((LH / 4)):rate=$fps:rule=110:seed=3:scroll=1,scale=$LW:$LH:flags=neighbor"
    "sierpinski=size=${LW}x${LH}:rate=$fps:seed=42:type=triangle"
  )
  local inputs=() graph="" labels="" i n=0 t=0 segs="" excerpt_seg=-1 best=-1
  local cover="scale=$LW:$LH:force_original_aspect_ratio=increase,crop=$LW:$LH,setsar=1,fps=$fps,format=yuv420p"
  for i in "${!refs[@]}"; do
    inputs+=(-i "${refs[$i]}")
    graph+="[$n:v]$cover,trim=end_frame=${durs[$i]},setpts=N/($fps*TB)[s$n];"
    labels+="[s$n]"
    segs+="$(fmt3 "$(calc "$t / $fps")")	$(fmt3 "$(calc "${durs[$i]} / $fps")")	$(basename "${refs[$i]}")	0.000"$'\n'
    # The excerpt comes from the real clip whose middle lies nearest the middle of the whole, if >= 10.5 s.
    if ((durs[i] >= 21 * fps / 2)); then
      local dist=$(( (t + durs[i] / 2) - target_frames / 2 )); dist=${dist#-}
      if ((best < 0 || dist < best)); then best=$dist; excerpt_seg=$t; EXC_LEN=${durs[$i]}; EXC_SRC=$(basename "${refs[$i]}"); fi
    fi
    t=$((t + durs[i])); n=$((n + 1))
    if ((fill_each > 0)); then
      local fsrc=${fillers[$((i % ${#fillers[@]}))]}
      inputs+=(-f lavfi -i "$fsrc")
      graph+="[$n:v]format=yuv420p,setsar=1,trim=end_frame=$fill_each,setpts=N/($fps*TB)[s$n];"
      labels+="[s$n]"
      segs+="$(fmt3 "$(calc "$t / $fps")")	$(fmt3 "$(calc "$fill_each / $fps")")	lavfi:${fsrc%%=*}#$((i % ${#fillers[@]}))	0.000"$'\n'
      t=$((t + fill_each)); n=$((n + 1))
    fi
  done
  ((excerpt_seg >= 0)) || die "--long needs at least one REF of 10.5 s or more (for the excerpt)"
  graph+="${labels}concat=n=$n:v=1:a=0[v]"
  mkdir -p "$(dirname "$out")"
  "${FFMPEG[@]}" "${inputs[@]}" -filter_complex "$graph" -map "[v]" -c:v libx264 -preset veryfast -crf 22 \
    -pix_fmt yuv420p -g $((fps * 4)) -x264-params threads=2 -movflags +faststart -an "${CLEAN[@]}" "$out"
  local base=${out%.*}
  printf 'start\tduration\tsource\tsource_start\n%s' "$segs" >"$base.segments.tsv"
  # Excerpt: 10 s from inside that clip, starting 1.72 s in (or centred when the clip is short).
  local off_frames=$(( (EXC_LEN - 10 * fps) / 2 )); ((off_frames <= 43 * fps / 25)) || off_frames=$((43 * fps / 25))
  local xs; xs=$(calc "($excerpt_seg + $off_frames) / $fps")
  "${FFMPEG[@]}" -ss "$xs" -t 10 -i "$out" "${H264[@]}" -an "${CLEAN[@]}" "${base}_excerpt.mp4"
  MANIFEST_ROWS=()
  row "$(basename "${base}_excerpt.mp4")" long_excerpt 0 "$xs" 10 match "$(basename "$out")"
  write_manifest "$base.tsv"
  check "$out" "long" 0
  check "${base}_excerpt.mp4" match 10
  echo "[make_video_edits] excerpt of $EXC_SRC at ${xs}s of $(basename "$out"); segments in $base.segments.tsv" >&2
  ((CHECK_FAILED == 0)) || exit 1
}

# --- a compilation: unrelated, A, unrelated, B, unrelated -----------------------------------------------
compilation_mode() {
  (($# == 4)) || die "usage: --compilation A B UNRELATED OUT.mp4"
  local A=$1 B=$2 U=$3 out=$4 f
  for f in "$A" "$B" "$U"; do [[ -f "$f" ]] || die "no such file: $f"; done
  probe "$A"; local W=$P_W H=$P_H FPS=$P_FPS
  probe "$B"; awk -v d="$P_DUR" 'BEGIN { exit !(d >= 10.6) }' || die "$B must last 10.6 s or more"
  probe "$A"; awk -v d="$P_DUR" 'BEGIN { exit !(d >= 9.3) }' || die "$A must last 9.3 s or more"
  local fit="scale=$W:$H:force_original_aspect_ratio=decrease,pad=$W:$H:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=$FPS,format=yuv420p"
  mkdir -p "$(dirname "$out")"
  "${FFMPEG[@]}" \
    -stream_loop -1 -t 6 -i "$U" -ss 1.3 -t 8 -i "$A" -stream_loop -1 -ss 6.5 -t 5 -i "$U" \
    -ss 2.6 -t 8 -i "$B" -stream_loop -1 -ss 12 -t 4 -i "$U" -filter_complex \
    "[0:v]$fit,trim=duration=6,setpts=PTS-STARTPTS[u1];[1:v]$fit,trim=duration=8,setpts=PTS-STARTPTS[a];[2:v]$fit,trim=duration=5,setpts=PTS-STARTPTS[u2];[3:v]$fit,trim=duration=8,setpts=PTS-STARTPTS[b];[4:v]$fit,trim=duration=4,setpts=PTS-STARTPTS[u3];[u1][a][u2][b][u3]concat=n=5:v=1:a=0[v]" \
    -map "[v]" "${H264[@]}" -an "${CLEAN[@]}" "$out"
  MANIFEST_ROWS=()
  row "$(basename "$out")" compilation 6 1.3 8 match "$(basename "$A")"
  row "$(basename "$out")" compilation 19 2.6 8 match "$(basename "$B")"
  write_manifest "${out%.*}.tsv"
  check "$out" match 31
  ((CHECK_FAILED == 0)) || exit 1
}

case "${1:-}" in
  --long) shift; long_mode "$@" ;;
  --compilation) shift; compilation_mode "$@" ;;
  -h|--help|"") sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  *) (($# == 3)) || die "usage: make_video_edits.sh REF UNRELATED OUTDIR (or --long / --compilation; see --help)"
     edits_mode "$@" ;;
esac
