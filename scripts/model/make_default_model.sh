#!/usr/bin/env bash
# Makes hashwatch's default embedding model in OUT_DIR (scripts/run.sh runs it
# into BUILD_DIR/models):
#   OUT_DIR/model.json            the settings an engine needs (file, input size,
#                                 colour order, scale/mean/std, output name, ...)
#   OUT_DIR/nsfwjs_mobilenet_v2_embedding.onnx   the network (OpenCV dnn loads it)
#   OUT_DIR/reference/            inputs and NumPy outputs for the conversion test
#   OUT_DIR/source/               the Keras topology and float32 weights it came from
#   OUT_DIR/LICENSE.nsfwjs        the licence of the weights' source (MIT)
# From the npm package nsfwjs@4.4.0: `npm pack` (checked against a pinned
# sha512), node extracts the Keras MobileNetV2 that the package embeds, Debian's
# python3-onnx writes the ONNX file, and a NumPy forward pass of the same
# weights writes the reference outputs. What and why: docs/embedding_model.md.
# Needs: node + npm, /usr/bin/python3 with python3-onnx, python3-numpy, python3-pil.
#
# Idempotent: when OUT_DIR already holds a complete model made from the same
# package by the same scripts, it does nothing. The model is built in a
# temporary folder beside OUT_DIR and moved into place with rename, so an
# interrupted run never leaves a half-made OUT_DIR behind.
set -euo pipefail
umask 022

PACKAGE=nsfwjs
VERSION=4.4.0
# npm's dist.integrity for nsfwjs@4.4.0 (`npm view nsfwjs@4.4.0 dist.integrity`).
INTEGRITY='sha512-krC1fgeTLXtZwgdpKJ0jm7hqv0gTSRQQRL+FhOaxaJ9Wj92t42BO3csO2odwgTAgZgf2RvkwPtp0R8Aa7dc+MA=='
ONNX_FILE=nsfwjs_mobilenet_v2_embedding.onnx
PY=/usr/bin/python3

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
say() { printf '==> model: %s\n' "$*" >&2; }
die() { printf 'make_default_model: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 OUT_DIR"
OUT=$1
mkdir -p "$(dirname "$OUT")"
OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")

# The stamp says which package and which version of the scripts made the model:
# a change to either makes it again.
STAMP=$(cat "$HERE/make_default_model.sh" "$HERE/extract_nsfwjs.js" "$HERE/keras_to_onnx.py" \
          "$HERE/reference_forward.py" | sha256sum | cut -d' ' -f1)
STAMP="$PACKAGE@$VERSION $INTEGRITY scripts:$STAMP"

complete() {
  [ -f "$OUT/.complete" ] && [ "$(cat "$OUT/.complete")" = "$STAMP" ] &&
    [ -s "$OUT/model.json" ] && [ -s "$OUT/$ONNX_FILE" ] && [ -s "$OUT/reference/index.json" ]
}

if complete; then
  say "$OUT is up to date ($PACKAGE@$VERSION)"
  exit 0
fi

for tool in node npm tar sha256sum flock; do
  command -v "$tool" >/dev/null || die "'$tool' is missing (scripts/run.sh installs what is needed)"
done
[ -x "$PY" ] || die "$PY is missing"
"$PY" -c 'import onnx, numpy, PIL' 2>/dev/null ||
  die "$PY lacks onnx/numpy/PIL: apt-get install python3-onnx python3-numpy python3-pil"

# One maker at a time per OUT_DIR; the second waits, then finds the model made.
exec 9>"$OUT.lock"
flock 9
if complete; then
  say "$OUT was made meanwhile"
  exit 0
fi

# Leftovers of an interrupted run (holding the lock, no other run is using them).
rm -rf "$OUT".tmp.*
WORK=$(mktemp -d "$OUT.tmp.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
STAGE="$WORK/model"
mkdir -p "$STAGE/source" "$STAGE/reference"

say "fetching $PACKAGE@$VERSION with npm pack"
( cd "$WORK" && npm pack --silent "$PACKAGE@$VERSION" >/dev/null ) ||
  die "npm pack $PACKAGE@$VERSION failed (is the npm registry reachable?)"
TARBALL="$WORK/$PACKAGE-$VERSION.tgz"
[ -f "$TARBALL" ] || die "npm pack did not write $TARBALL"
GOT="sha512-$("$PY" -c 'import base64, hashlib, sys
print(base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$TARBALL")"
[ "$GOT" = "$INTEGRITY" ] || die "$TARBALL has integrity $GOT, expected $INTEGRITY"
say "tarball $(stat -c %s "$TARBALL") bytes, integrity checked"

mkdir -p "$WORK/pkg"
tar -xzf "$TARBALL" -C "$WORK/pkg" --no-same-owner --no-same-permissions
PKG="$WORK/pkg/package"
cp "$PKG/LICENSE" "$STAGE/LICENSE.nsfwjs"

say "extracting the Keras model and its weights (node)"
node "$HERE/extract_nsfwjs.js" "$PKG" "$STAGE/source"

SOURCE="$PACKAGE@$VERSION (npm, $INTEGRITY), dist/cjs/model_imports/mobilenet_v2.js"
say "writing $ONNX_FILE (python3-onnx)"
"$PY" "$HERE/keras_to_onnx.py" "$STAGE/source" "$STAGE/$ONNX_FILE" --source "$SOURCE"

say "reference outputs (NumPy forward pass of the same weights)"
"$PY" "$HERE/reference_forward.py" "$STAGE/source" "$STAGE/reference" \
  "$ROOT/testdata/known/astronaut.jpg" "$ROOT/testdata/known/coffee.jpg" \
  "$ROOT/testdata/known/coast.jpg"

"$PY" - "$STAGE" "$ONNX_FILE" "$SOURCE" "$INTEGRITY" <<'PYEOF'
import hashlib, json, sys
stage, onnx_file, source, integrity = sys.argv[1:]
settings = {
    "file": onnx_file,
    "sha256": hashlib.sha256(open(f"{stage}/{onnx_file}", "rb").read()).hexdigest(),
    "format": "onnx (opset 10)",
    "input": "input",
    "input_layout": "NCHW float32 [1,3,224,224]",
    "input_size": 224,
    "resize": "stretch to input_size x input_size, aspect ratio not kept, no crop "
              "(nsfwjs: tf.image.resizeBilinear, alignCorners=true)",
    "colour": "rgb",
    "scale": 1.0 / 255.0,
    "mean": [0.0, 0.0, 0.0],
    "std": [1.0, 1.0, 1.0],
    "normalise": "input = (pixel * scale - mean) / std, per channel",
    "output": "block_10_expand_relu",
    "gem_p": 3.0,
    "dimension": 384,
    "embedding": "GeM pooling (p = 3) of block_10_expand_relu (384 x 14 x 14), the last expansion "
                 "layer before the blocks nsfwjs fine-tuned; hashwatch L2-normalises it (and a "
                 "catalog whitens it): docs/embedding.md. The graph's own output `embedding` "
                 "(global average of out_relu, 1280-d) is what the conversion test checks",
    "source": source,
    "source_integrity": integrity,
    "licence": "MIT",
    "licence_file": "LICENSE.nsfwjs",
}
with open(f"{stage}/model.json", "w") as f:
    json.dump(settings, f, indent=1)
    f.write("\n")
PYEOF

printf '%s\n' "$STAMP" > "$STAGE/.complete"
chmod -R a+rX,go-w "$STAGE"

# Swap in: rename is atomic; OUT is either the old model, absent for an
# instant, or the new complete one, never a half-made folder.
if [ -e "$OUT" ]; then
  mv "$OUT" "$WORK/old"
fi
mv "$STAGE" "$OUT"
say "made $OUT ($(du -sh "$OUT" | cut -f1))"
