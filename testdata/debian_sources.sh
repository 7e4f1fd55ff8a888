#!/usr/bin/env bash
# Sourced by the testdata scripts: fetches a Debian package's .deb with `apt-get download` into the
# same cache that bench/assemble_corpus.sh uses, unpacks it with `dpkg-deb -x` (nothing is installed)
# and prints the directory it was unpacked into.
#   debian_source PKG   ->  prints ${HASHWATCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hashwatch}/unpacked/PKG
# Runs `apt-get update` only if a download fails. Also defines need_imagemagick, which installs
# ImageMagick (and exiftool when asked) with apt-get when they are missing.
set -euo pipefail

HASHWATCH_CACHE=${HASHWATCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hashwatch}

debian_source() {
  local pkg=$1 debs=$HASHWATCH_CACHE/debs unpacked=$HASHWATCH_CACHE/unpacked deb
  mkdir -p "$debs" "$unpacked"
  deb=$(ls -t "$debs/$pkg"_*.deb 2>/dev/null | head -n1 || true)
  if [[ -z "$deb" ]]; then
    echo "[testdata] apt-get download $pkg" >&2
    if ! (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2); then
      echo "[testdata] download failed; apt-get update and retry" >&2
      apt-get update -q >&2
      (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2)
    fi
    deb=$(ls -t "$debs/$pkg"_*.deb | head -n1)
  fi
  if ! [[ -f "$unpacked/$pkg/.unpacked-from" && "$(cat "$unpacked/$pkg/.unpacked-from")" == "$(basename "$deb")" ]]; then
    echo "[testdata] dpkg-deb -x $(basename "$deb")" >&2
    rm -rf "${unpacked:?}/$pkg" "$unpacked/$pkg.rcc"
    mkdir -p "$unpacked/$pkg"
    dpkg-deb -x "$deb" "$unpacked/$pkg"
    basename "$deb" > "$unpacked/$pkg/.unpacked-from"
  fi
  printf '%s\n' "$unpacked/$pkg"
}

# need_imagemagick [exiftool]: make sure ImageMagick 6 (convert, identify) and optionally exiftool exist.
need_imagemagick() {
  local want=()
  # /usr/local/bin/convert on some machines is a stand-in that forwards to /usr/bin/convert when present.
  [[ -x /usr/bin/convert && -x /usr/bin/identify ]] || want+=(imagemagick)
  [[ "${1:-}" != exiftool ]] || command -v exiftool >/dev/null || want+=(libimage-exiftool-perl)
  if ((${#want[@]})); then
    echo "[testdata] apt-get install -y ${want[*]}" >&2
    apt-get install -y -q "${want[@]}" >&2 || { apt-get update -q >&2 && apt-get install -y -q "${want[@]}" >&2; }
  fi
}
