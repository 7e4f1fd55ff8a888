#!/usr/bin/python3
"""Builds an ONNX file from a Keras (2.x) topology and float32 weights, as
written by extract_nsfwjs.js, keeping only the convolutional backbone up to its
global average pooling: the output `embedding` is that pooled activation,
shape [1, C].

Usage: keras_to_onnx.py SOURCE_DIR OUT.onnx [--opset N] [--source TEXT]
SOURCE_DIR holds topology.json, weights_manifest.json, weights.bin.

Layers handled (all that MobileNetV2 needs, and nothing else: an unknown layer
or setting stops the conversion rather than be guessed at):
  InputLayer; ZeroPadding2D -> Pad; Conv2D -> Conv; DepthwiseConv2D -> Conv
  with group = channels; BatchNormalization -> folded into the Conv before it
  (or a BatchNormalization node when it does not follow a Conv used only by
  it); ReLU (max_value 6) -> Clip(0, 6), ReLU (no max) -> Relu; Add -> Add;
  AveragePooling2D over the whole map / GlobalAveragePooling2D ->
  GlobalAveragePool, then Flatten -> `embedding`.
Keras is NHWC and its kernels HWIO; ONNX is NCHW and OIHW: the input is NCHW
and the kernels are transposed. Keras/TF 'same' padding puts the odd pixel at
the end (bottom/right); the pads are computed that way and a Pad node is used
when they are not symmetric (MobileNetV2 itself pads explicitly with
ZeroPadding2D ((0,1),(0,1)) before its stride-2 convolutions).
Needs only Debian's python3-onnx and python3-numpy.
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


# OpenCV 4.6's vectorised 3x3 depthwise convolution needs maps at least 18
# wide (16 + kernel - 1; convolution_layer.cpp); narrower ones take its
# generic path, ~20x slower (1 ms for each 14 x 14 x 384 layer of
# MobileNetV2 at 224 x 224, a fifth of the network up to block 10). Such a
# layer is written as Pad (zero columns each side, to >= 18) -> the same
# convolution without horizontal padding -> Slice back to the original
# columns: the same values (each output reads the same inputs and zeros),
# run by the fast path.
OPENCV_FAST_DEPTHWISE_MIN_WIDTH = 18


def die(msg):
    sys.exit(f"keras_to_onnx: {msg}")


def load_source(src):
    with open(os.path.join(src, "topology.json")) as f:
        topology = json.load(f)
    with open(os.path.join(src, "weights_manifest.json")) as f:
        manifest = json.load(f)
    data = np.fromfile(os.path.join(src, "weights.bin"), dtype="<f4")
    weights = {}
    for w in manifest["weights"]:
        start = w["offset"] // 4
        weights[w["name"]] = data[start:start + w["count"]].reshape(w["shape"]).astype(np.float32)
    return topology, weights


def same_pads(size, k, s, d):
    """TF 'same': out = ceil(size/s); total = max((out-1)*s + eff_k - size, 0); before = total//2."""
    eff = (k - 1) * d + 1
    out = -(-size // s)
    total = max((out - 1) * s + eff - size, 0)
    return total // 2, total - total // 2


def conv_out(size, k, s, d, before, after):
    return (size + before + after - ((k - 1) * d + 1)) // s + 1


class Builder:
    def __init__(self, weights, opset):
        self.weights = weights
        self.opset = opset
        self.nodes = []
        self.inits = []
        self.used = set()

    def w(self, layer, key):
        name = f"{layer}/{key}"
        if name not in self.weights:
            die(f"missing weight {name}")
        self.used.add(name)
        return self.weights[name]

    def init(self, name, array):
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op, inputs, outputs, name, **attrs):
        self.nodes.append(helper.make_node(op, inputs, outputs, name=name, **attrs))

    def pad(self, x, out, name, top, bottom, left, right):
        pads = [0, 0, top, left, 0, 0, bottom, right]
        if self.opset >= 11:
            p = self.init(f"{name}/pads", np.array(pads, dtype=np.int64))
            self.node("Pad", [x, p], [out], name, mode="constant")
        else:
            self.node("Pad", [x], [out], name, mode="constant", pads=pads, value=0.0)

    def clip(self, x, out, name, lo, hi):
        if self.opset >= 11:
            a = self.init(f"{name}/min", np.array(lo, dtype=np.float32))
            b = self.init(f"{name}/max", np.array(hi, dtype=np.float32))
            self.node("Clip", [x, a, b], [out], name)
        else:
            self.node("Clip", [x], [out], name, min=float(lo), max=float(hi))


def convert(topology, weights, opset, source_text):
    cfg = topology["model_config"]
    if cfg["class_name"] not in ("Model", "Functional"):
        die(f"unsupported model class {cfg['class_name']}")
    layers = cfg["config"]["layers"]
    by_name = {l["name"]: l for l in layers}

    def inputs_of(l):
        if not l["inbound_nodes"]:
            return []
        if len(l["inbound_nodes"]) != 1:
            die(f"{l['name']}: shared layers are not supported")
        ins = []
        for n in l["inbound_nodes"][0]:
            if n[1] != 0 or n[2] != 0:
                die(f"{l['name']}: multi-output inbound nodes are not supported")
            ins.append(n[0])
        return ins

    # The embedding: the (single) global pooling layer.
    pools = [l for l in layers if l["class_name"] in ("AveragePooling2D", "GlobalAveragePooling2D")]
    if len(pools) != 1:
        die(f"expected one pooling layer, found {[l['name'] for l in pools]}")
    pool = pools[0]

    # Keep only the pooling layer's ancestors, in the topology's (topological) order.
    keep, stack = set(), [pool["name"]]
    while stack:
        n = stack.pop()
        if n in keep:
            continue
        keep.add(n)
        stack.extend(inputs_of(by_name[n]))
    order = [l for l in layers if l["name"] in keep]
    consumers = {}
    for l in order:
        for i in inputs_of(l):
            consumers.setdefault(i, []).append(l["name"])

    b = Builder(weights, opset)
    shape = {}    # layer name -> (H, W, C)
    tensor = {}   # layer name -> ONNX tensor holding its output
    folded = {}   # conv layer name -> (kernel OIHW, bias) still to be emitted
    graph_in = None

    def emit_conv(name):
        kernel, bias, attrs, x = folded.pop(name)
        attrs = dict(attrs)
        widen, width = attrs.pop("_widen", (None, 0))
        out = name
        if widen is not None:
            # Same result, OpenCV's fast path: see OPENCV_FAST_DEPTHWISE_MIN_WIDTH.
            b.pad(x, f"{name}/widened", f"{name}/widen", 0, 0, widen, widen)
            x, out = f"{name}/widened", f"{name}/wide"
            attrs["pads"] = [1, 0, 1, 0]
        ins = [x, b.init(f"{name}/W", kernel)]
        if bias is not None:
            ins.append(b.init(f"{name}/B", bias))
        b.node("Conv", ins, [out], name, **attrs)
        if widen is not None:
            b.node("Slice", [out, b.init(f"{name}/starts", np.array([widen - 1], dtype=np.int64)),
                             b.init(f"{name}/ends", np.array([widen - 1 + width], dtype=np.int64)),
                             b.init(f"{name}/axes", np.array([3], dtype=np.int64))],
                   [name], f"{name}/narrow")
        tensor[name] = name

    for l in order:
        name, kind, c = l["name"], l["class_name"], l["config"]
        ins = inputs_of(l)
        if c.get("data_format", "channels_last") != "channels_last":
            die(f"{name}: data_format {c['data_format']}")
        if kind == "InputLayer":
            _, h, w, ch = c["batch_input_shape"]
            shape[name] = (h, w, ch)
            graph_in = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, ch, h, w])
            tensor[name] = "input"
            continue
        x = tensor.get(ins[0])  # None for a conv whose BN is still to fold in
        h, w, ch = shape[ins[0]]
        if kind == "ZeroPadding2D":
            (top, bottom), (left, right) = c["padding"]
            b.pad(x, name, name, top, bottom, left, right)
            shape[name] = (h + top + bottom, w + left + right, ch)
            tensor[name] = name
        elif kind in ("Conv2D", "DepthwiseConv2D"):
            kh, kw = c["kernel_size"]
            sh, sw = c["strides"]
            dh, dw = c["dilation_rate"]
            if c["activation"] != "linear":
                die(f"{name}: activation {c['activation']} inside the conv is not supported")
            if c["padding"] == "valid":
                pt = pb = pl = pr = 0
            elif c["padding"] == "same":
                pt, pb = same_pads(h, kh, sh, dh)
                pl, pr = same_pads(w, kw, sw, dw)
            else:
                die(f"{name}: padding {c['padding']}")
            if (pt, pl) != (pb, pr):
                b.pad(x, f"{name}/same_pad", f"{name}/same_pad", pt, pb, pl, pr)
                x = f"{name}/same_pad"
                h, w = h + pt + pb, w + pl + pr
                pt = pb = pl = pr = 0
            if kind == "Conv2D":
                k = b.w(name, "kernel")                       # H W I O
                if k.shape[2] != ch:
                    die(f"{name}: kernel {k.shape} does not fit {ch} input channels")
                kernel = k.transpose(3, 2, 0, 1)              # O I H W
                group, out_ch = 1, k.shape[3]
            else:
                k = b.w(name, "depthwise_kernel")             # H W C M
                if k.shape[2] != ch:
                    die(f"{name}: kernel {k.shape} does not fit {ch} input channels")
                mult = k.shape[3]
                # output channel c*M + m reads input channel c
                kernel = k.reshape(kh, kw, ch * mult).transpose(2, 0, 1)[:, None, :, :]
                group, out_ch = ch, ch * mult
            bias = b.w(name, "bias") if c.get("use_bias") else None
            attrs = dict(kernel_shape=[kh, kw], strides=[sh, sw], dilations=[dh, dw],
                         pads=[pt, pl, pb, pr], group=group)
            if (kind == "DepthwiseConv2D" and (kh, kw, sh, sw, dh, dw) == (3, 3, 1, 1, 1, 1)
                    and (pt, pl, pb, pr) == (1, 1, 1, 1) and w < OPENCV_FAST_DEPTHWISE_MIN_WIDTH):
                # (zero columns each side, width): 14 -> 2 columns each side, 18 wide
                attrs["_widen"] = ((OPENCV_FAST_DEPTHWISE_MIN_WIDTH - w + 1) // 2, w)
            folded[name] = (kernel.astype(np.float32), None if bias is None else bias.astype(np.float32), attrs, x)
            shape[name] = (conv_out(h, kh, sh, dh, pt, pb), conv_out(w, kw, sw, dw, pl, pr), out_ch)
            if consumers.get(name, []) and all(by_name[n]["class_name"] == "BatchNormalization"
                                               for n in consumers[name]) and len(consumers[name]) == 1:
                continue  # the BatchNormalization after it folds into it
            emit_conv(name)
        elif kind == "BatchNormalization":
            if c["axis"] not in (-1, 3):
                die(f"{name}: axis {c['axis']}")
            eps = float(c["epsilon"])
            gamma = b.w(name, "gamma").astype(np.float64) if c.get("scale", True) else np.ones(ch)
            beta = b.w(name, "beta").astype(np.float64) if c.get("center", True) else np.zeros(ch)
            mean = b.w(name, "moving_mean").astype(np.float64)
            var = b.w(name, "moving_variance").astype(np.float64)
            if ins[0] in folded:
                kernel, bias, attrs, cx = folded.pop(ins[0])
                s = gamma / np.sqrt(var + eps)
                kernel = kernel.astype(np.float64) * s[:, None, None, None]
                b0 = np.zeros(len(s)) if bias is None else bias.astype(np.float64)
                bias = beta + (b0 - mean) * s
                folded[name] = (kernel.astype(np.float32), bias.astype(np.float32), attrs, cx)
                emit_conv(name)
            else:
                b.node("BatchNormalization",
                       [x] + [b.init(f"{name}/{k}", v.astype(np.float32)) for k, v in
                              (("scale", gamma), ("bias", beta), ("mean", mean), ("var", var))],
                       [name], name, epsilon=eps)
                tensor[name] = name
            shape[name] = (h, w, ch)
        elif kind == "ReLU":
            if float(c.get("negative_slope") or 0) != 0 or float(c.get("threshold") or 0) != 0:
                die(f"{name}: leaky/thresholded ReLU is not supported")
            if c.get("max_value") is None:
                b.node("Relu", [x], [name], name)
            else:
                b.clip(x, name, name, 0.0, float(c["max_value"]))
            shape[name] = (h, w, ch)
            tensor[name] = name
        elif kind == "Add":
            acc = tensor[ins[0]]
            for i, other in enumerate(ins[1:]):
                if shape[other] != (h, w, ch):
                    die(f"{name}: Add of {shape[other]} and {(h, w, ch)}")
                out = name if i == len(ins) - 2 else f"{name}/{i}"
                b.node("Add", [acc, tensor[other]], [out], out)
                acc = out
            shape[name] = (h, w, ch)
            tensor[name] = name
        elif kind in ("AveragePooling2D", "GlobalAveragePooling2D"):
            if kind == "AveragePooling2D":
                if list(c["pool_size"]) != [h, w] or c["padding"] != "valid":
                    die(f"{name}: pool {c['pool_size']} ({c['padding']}) is not global over {h}x{w}")
            b.node("GlobalAveragePool", [x], [f"{name}/pooled"], name)
            b.node("Flatten", [f"{name}/pooled"], ["embedding"], "embedding", axis=1)
            shape[name] = (1, 1, ch)
            tensor[name] = "embedding"
        else:
            die(f"{name}: layer {kind} is not supported")
    if folded:
        die(f"internal: unemitted convs {list(folded)}")

    dim = shape[pool["name"]][2]
    out = helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, dim])
    graph = helper.make_graph(b.nodes, "embedding", [graph_in], [out], initializer=b.inits)
    model = helper.make_model(graph, producer_name="hashwatch keras_to_onnx.py",
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = min(model.ir_version, 7 if opset >= 11 else 5)
    model.doc_string = (f"Backbone of {source_text}: global-average-pooled output of layer "
                        f"{ins[0]!s}, {dim}-d. Input NCHW RGB.")
    onnx.helper.set_model_props(model, {"source": source_text, "embedding_layer": pool["name"]})
    backbone_weights = {k for k in weights if k.split("/")[0] in keep}
    if b.used != backbone_weights:
        die(f"weights not used: {sorted(backbone_weights - b.used)}")
    onnx.checker.check_model(model)
    return model, dim, len(b.nodes)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("source_dir")
    ap.add_argument("out")
    # 10, not 11+: from opset 11 Clip takes min/max as inputs, and OpenCV 4.6's
    # ONNX importer (Debian 12) rejects a Clip with more than one input
    # ("parseClip" error); up to opset 10 they are attributes, which it reads.
    ap.add_argument("--opset", type=int, default=10)
    ap.add_argument("--source", default="")
    a = ap.parse_args()
    topology, weights = load_source(a.source_dir)
    model, dim, n = convert(topology, weights, a.opset, a.source)
    tmp = a.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(model.SerializeToString())
    os.replace(tmp, a.out)
    print(f"keras_to_onnx: {a.out}: {n} nodes, opset {a.opset}, output embedding [1,{dim}]",
          file=sys.stderr)


if __name__ == "__main__":
    main()
