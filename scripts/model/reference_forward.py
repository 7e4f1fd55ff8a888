#!/usr/bin/python3
"""An independent NumPy forward pass of the Keras model extracted by
extract_nsfwjs.js, to check the ONNX conversion against.

It reads the same extracted files as keras_to_onnx.py (topology.json,
weights_manifest.json, weights.bin) but never the ONNX file, and shares no code
with the converter: it runs the Keras graph as Keras does, in NHWC layout with
the kernels as stored (HWIO, HWCM), in float64, with BatchNormalization applied
as its own step (the converter folds it into the convolutions), 'same' padding
from TF's rule, AveragePooling2D as a real windowed mean, and the nsfwjs head
(Dense/Dropout/softmax) too, so the class probabilities can be sanity-checked.

Usage: reference_forward.py SOURCE_DIR OUT_DIR IMAGE [IMAGE...]
Writes to OUT_DIR, for each image and for one fixed pseudo-random tensor:
  NAME.input.f32      the network input, float32 little-endian, NCHW [1,3,H,W],
                      made as nsfwjs makes it (below)
  NAME.embedding.f32  the pooled backbone output, float32 little-endian, [C]
and index.json listing them, with the head's class probabilities.
nsfwjs's preprocessing (dist/cjs/core.js, NSFWJS.infer): tf.browser.fromPixels
(RGB, alpha dropped), .toFloat().div(255), then, when the image is not already
224x224, tf.image.resizeBilinear(img, [224, 224], alignCorners=true): a plain
stretch (aspect ratio not kept, no crop), no mean subtraction.
Needs Debian's python3-numpy and python3-pil.
"""
import json
import os
import sys

import numpy as np

CLASSES = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"]  # nsfwjs dist/cjs/nsfw_classes.js


def read_model(src):
    topo = json.load(open(os.path.join(src, "topology.json")))
    man = json.load(open(os.path.join(src, "weights_manifest.json")))
    blob = np.fromfile(os.path.join(src, "weights.bin"), dtype="<f4")
    params = {}
    for e in man["weights"]:
        layer, key = e["name"].split("/", 1)
        a = blob[e["offset"] // 4: e["offset"] // 4 + e["count"]]
        params.setdefault(layer, {})[key] = a.reshape(e["shape"]).astype(np.float64)
    return topo["model_config"]["config"], params


def tf_same_padding(n, k, s):
    # TF: pad_along = max(k - s, 0) if n % s == 0 else max(k - n % s, 0);
    # the smaller half goes first (top/left).
    total = max(k - s, 0) if n % s == 0 else max(k - n % s, 0)
    return total // 2, total - total // 2


def windows(x, kh, kw, sh, sw):
    """Yields (i, j, view) with view[y, x, c] = x[y*sh + i, x*sw + j, c] for a valid window."""
    oh = (x.shape[0] - kh) // sh + 1
    ow = (x.shape[1] - kw) // sw + 1
    for i in range(kh):
        for j in range(kw):
            yield i, j, x[i: i + (oh - 1) * sh + 1: sh, j: j + (ow - 1) * sw + 1: sw, :]


def pad_for(cfg, x, kh, kw):
    sh, sw = cfg["strides"]
    if cfg.get("dilation_rate", [1, 1]) != [1, 1]:
        raise SystemExit("reference_forward: dilation is not implemented")
    if cfg["padding"] == "same":
        t, b = tf_same_padding(x.shape[0], kh, sh)
        l, r = tf_same_padding(x.shape[1], kw, sw)
        x = np.pad(x, ((t, b), (l, r), (0, 0)))
    elif cfg["padding"] != "valid":
        raise SystemExit(f"reference_forward: padding {cfg['padding']}")
    return x, sh, sw


def activation(name, x):
    if name == "linear":
        return x
    if name == "relu":
        return np.maximum(x, 0)
    if name == "softmax":
        e = np.exp(x - x.max())
        return e / e.sum()
    raise SystemExit(f"reference_forward: activation {name}")


def run(config, params, x_hwc):
    """x_hwc: float64 [H, W, 3]. Returns {layer name: output} for every layer."""
    out = {}
    for layer in config["layers"]:
        name, kind, cfg = layer["name"], layer["class_name"], layer["config"]
        ins = [out[n[0]] for n in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
        p = params.get(name, {})
        if kind == "InputLayer":
            y = x_hwc
        elif kind == "ZeroPadding2D":
            (t, b), (l, r) = cfg["padding"]
            y = np.pad(ins[0], ((t, b), (l, r), (0, 0)))
        elif kind == "Conv2D":
            k = p["kernel"]                                   # kh kw cin cout
            x, sh, sw = pad_for(cfg, ins[0], k.shape[0], k.shape[1])
            y = None
            for i, j, v in windows(x, k.shape[0], k.shape[1], sh, sw):
                t = np.tensordot(v, k[i, j], axes=([2], [0]))
                y = t if y is None else y + t
            if cfg.get("use_bias"):
                y = y + p["bias"]
            y = activation(cfg["activation"], y)
        elif kind == "DepthwiseConv2D":
            k = p["depthwise_kernel"]                         # kh kw cin mult
            x, sh, sw = pad_for(cfg, ins[0], k.shape[0], k.shape[1])
            y = None
            for i, j, v in windows(x, k.shape[0], k.shape[1], sh, sw):
                t = (v[:, :, :, None] * k[i, j]).reshape(v.shape[0], v.shape[1], -1)
                y = t if y is None else y + t
            if cfg.get("use_bias"):
                y = y + p["bias"]
            y = activation(cfg["activation"], y)
        elif kind == "BatchNormalization":
            y = (ins[0] - p["moving_mean"]) / np.sqrt(p["moving_variance"] + cfg["epsilon"])
            y = y * p["gamma"] + p["beta"]
        elif kind == "ReLU":
            y = np.maximum(ins[0], 0.0)
            if cfg.get("max_value") is not None:
                y = np.minimum(y, cfg["max_value"])
        elif kind == "Add":
            y = sum(ins)
        elif kind == "AveragePooling2D":
            (ph, pw), (sh, sw) = cfg["pool_size"], cfg["strides"]
            if cfg["padding"] != "valid":
                raise SystemExit("reference_forward: padded pooling is not implemented")
            y = sum(v for _, _, v in windows(ins[0], ph, pw, sh, sw)) / (ph * pw)
        elif kind == "GlobalAveragePooling2D":
            y = ins[0].mean(axis=(0, 1), keepdims=True)
        elif kind == "Flatten":
            y = ins[0].reshape(-1)                            # channels_last order
        elif kind == "Dense":
            y = activation(cfg["activation"], ins[0] @ p["kernel"] + p["bias"])
        elif kind == "Dropout":
            y = ins[0]
        else:
            raise SystemExit(f"reference_forward: layer {kind} is not implemented")
        out[name] = y
    return out


def pooled_layer(config):
    pools = [l["name"] for l in config["layers"]
             if l["class_name"] in ("AveragePooling2D", "GlobalAveragePooling2D")]
    assert len(pools) == 1, pools
    return pools[0]


def resize_bilinear_align_corners(img, oh, ow):
    """tf.image.resizeBilinear(..., alignCorners=true): source = dst * (in-1)/(out-1)."""
    ih, iw = img.shape[:2]
    ys = np.arange(oh) * ((ih - 1) / (oh - 1)) if oh > 1 else np.zeros(1)
    xs = np.arange(ow) * ((iw - 1) / (ow - 1)) if ow > 1 else np.zeros(1)
    y0 = np.floor(ys).astype(int); y1 = np.minimum(y0 + 1, ih - 1); fy = (ys - y0)[:, None, None]
    x0 = np.floor(xs).astype(int); x1 = np.minimum(x0 + 1, iw - 1); fx = (xs - x0)[None, :, None]
    top = img[y0][:, x0] * (1 - fx) + img[y0][:, x1] * fx
    bot = img[y1][:, x0] * (1 - fx) + img[y1][:, x1] * fx
    return top * (1 - fy) + bot * fy


def image_input(path, size):
    from PIL import Image, ImageOps
    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im).convert("RGB")
        rgb = np.asarray(im, dtype=np.float32) / np.float32(255.0)   # as tfjs: float32 div
    if rgb.shape[:2] != (size, size):
        rgb = resize_bilinear_align_corners(rgb.astype(np.float64), size, size)
    return np.ascontiguousarray(rgb.astype(np.float32).transpose(2, 0, 1)[None])  # NCHW


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    src, out_dir, images = sys.argv[1], sys.argv[2], sys.argv[3:]
    config, params = read_model(src)
    _, h, w, c = config["layers"][0]["config"]["batch_input_shape"]
    assert h == w and c == 3
    pool = pooled_layer(config)
    head = config["output_layers"][0][0]

    inputs = [(os.path.splitext(os.path.basename(p))[0], os.path.basename(p), image_input(p, h))
              for p in images]
    rng = np.random.default_rng(20240229)
    inputs.append(("random", "numpy default_rng(20240229).random, uniform 0..1",
                   rng.random((1, 3, h, w), dtype=np.float32)))

    os.makedirs(out_dir, exist_ok=True)
    entries = []
    for name, source, x in inputs:
        acts = run(config, params, x[0].transpose(1, 2, 0).astype(np.float64))
        emb = acts[pool].reshape(-1)
        probs = acts[head].reshape(-1)
        x.astype("<f4").tofile(os.path.join(out_dir, f"{name}.input.f32"))
        emb.astype("<f4").tofile(os.path.join(out_dir, f"{name}.embedding.f32"))
        entries.append({
            "name": name, "source": source,
            "input": f"{name}.input.f32", "embedding": f"{name}.embedding.f32",
            "head_probabilities": {k: round(float(v), 6) for k, v in zip(CLASSES, probs)},
        })
        top = CLASSES[int(np.argmax(probs))]
        print(f"reference_forward: {name}: |embedding| {np.linalg.norm(emb):.4f}, "
              f"nsfwjs head says {top} ({probs.max():.3f})", file=sys.stderr)
    with open(os.path.join(out_dir, "index.json"), "w") as f:
        json.dump({
            "input_shape": [1, 3, h, w], "input_layout": "NCHW, RGB, 0..1",
            "dtype": "float32 little-endian", "embedding_dimension": int(emb.size),
            "embedding_layer": pool, "computed_by": "scripts/model/reference_forward.py (NumPy, float64)",
            "entries": entries,
        }, f, indent=1)


if __name__ == "__main__":
    main()
