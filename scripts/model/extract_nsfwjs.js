#!/usr/bin/env node
// Extracts the MobileNetV2 model that the npm package nsfwjs ships inside its
// JavaScript files (dist/cjs/model_imports/mobilenet_v2.js) into plain files:
//   OUT_DIR/topology.json          the Keras topology (modelTopology, Keras 2.2.4)
//   OUT_DIR/weights.bin            every weight tensor dequantised to float32,
//                                  little-endian, concatenated in manifest order
//   OUT_DIR/weights_manifest.json  [{name, shape, offset, count}] (offset in bytes)
// Usage: node extract_nsfwjs.js PACKAGE_DIR OUT_DIR
// PACKAGE_DIR is the extracted npm tarball (the folder holding package.json).
// Loading the package's own module (modelJson() and weightBundles[0]()) needs
// no other npm package: those two files are self-contained browserify bundles.
'use strict';
const fs = require('fs');
const path = require('path');

function fail(msg) {
  process.stderr.write(`extract_nsfwjs: ${msg}\n`);
  process.exit(1);
}

// Bytes per stored element, and how tfjs turns it back into a float:
// tfjs-core io_utils decodeWeights: value = quantised * scale + min.
const QUANTISED = { uint8: 1, uint16: 2 };

async function main() {
  const [pkgDir, outDir] = process.argv.slice(2);
  if (!pkgDir || !outDir) fail('usage: node extract_nsfwjs.js PACKAGE_DIR OUT_DIR');
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const mod = require(path.resolve(pkgDir, 'dist/cjs/model_imports/mobilenet_v2.js'));

  const json = await mod.modelJson();
  const model = json.default || json;
  const topology = model.modelTopology;
  const manifest = model.weightsManifest;
  if (!topology || !topology.model_config) fail('modelJson() has no Keras modelTopology');
  if (!Array.isArray(manifest) || manifest.length !== 1 || mod.weightBundles.length !== 1) {
    fail(`expected one weight group and one bundle, got ${manifest && manifest.length} / ${mod.weightBundles.length}`);
  }
  const bundle = await mod.weightBundles[0]();
  const b64 = typeof bundle === 'string' ? bundle : bundle.default;
  if (typeof b64 !== 'string') fail('weightBundles[0]() did not give a base64 string');
  const raw = Buffer.from(b64, 'base64');

  const entries = [];
  const chunks = [];
  let inPos = 0;
  let outPos = 0;
  for (const w of manifest[0].weights) {
    const count = w.shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(count);
    const q = w.quantization;
    if (q) {
      const size = QUANTISED[q.dtype];
      if (!size) fail(`${w.name}: unsupported quantisation dtype ${q.dtype}`);
      if (w.dtype !== 'float32') fail(`${w.name}: unsupported dtype ${w.dtype}`);
      if (inPos + count * size > raw.length) fail(`${w.name}: weight data too short`);
      for (let i = 0; i < count; i++) {
        const v = size === 1 ? raw[inPos + i] : raw.readUInt16LE(inPos + 2 * i);
        out[i] = v * q.scale + q.min;
      }
      inPos += count * size;
    } else {
      if (w.dtype !== 'float32') fail(`${w.name}: unsupported dtype ${w.dtype}`);
      if (inPos + count * 4 > raw.length) fail(`${w.name}: weight data too short`);
      for (let i = 0; i < count; i++) out[i] = raw.readFloatLE(inPos + 4 * i);
      inPos += count * 4;
    }
    const buf = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    // Float32Array is in host order; every machine this runs on is little-endian,
    // but say so rather than write a wrong file.
    if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) fail('big-endian host');
    chunks.push(buf);
    entries.push({ name: w.name, shape: w.shape, offset: outPos, count,
                   quantization: q ? { dtype: q.dtype, min: q.min, scale: q.scale } : null });
    outPos += buf.length;
  }
  if (inPos !== raw.length) fail(`weight data has ${raw.length - inPos} bytes left over`);

  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'topology.json'), JSON.stringify(topology));
  fs.writeFileSync(path.join(outDir, 'weights.bin'), Buffer.concat(chunks));
  fs.writeFileSync(path.join(outDir, 'weights_manifest.json'), JSON.stringify({
    source: `${pkg.name}@${pkg.version}`,
    keras_version: topology.keras_version,
    dtype: 'float32', byte_order: 'little',
    weights: entries,
  }, null, 1));
  process.stderr.write(`extract_nsfwjs: ${entries.length} tensors, ${outPos / 4} floats\n`);
}

main().catch((e) => fail(e && e.stack || String(e)));
