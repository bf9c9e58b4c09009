#!/usr/bin/env python3
"""Writes command_centre.glb: twinhall's own small model of a command-centre building (a podium,
a tower with a glass band, a roof antenna). Plain glTF 2.0 binary, vertex colours, no textures.
Made for twinhall and released with it (MIT OR Apache-2.0). Run: python3 make_command_centre.py
"""
import json
import math
import struct
from pathlib import Path


def box(cx, cz, w, d, y0, y1, colour):
    """Axis-aligned box: 6 faces, 4 vertices each, outward normals."""
    x0, x1, z0, z1 = cx - w / 2, cx + w / 2, cz - d / 2, cz + d / 2
    faces = [
        ((0, 1, 0), [(x0, y1, z1), (x1, y1, z1), (x1, y1, z0), (x0, y1, z0)]),
        ((0, -1, 0), [(x0, y0, z0), (x1, y0, z0), (x1, y0, z1), (x0, y0, z1)]),
        ((0, 0, 1), [(x0, y0, z1), (x1, y0, z1), (x1, y1, z1), (x0, y1, z1)]),
        ((0, 0, -1), [(x1, y0, z0), (x0, y0, z0), (x0, y1, z0), (x1, y1, z0)]),
        ((1, 0, 0), [(x1, y0, z1), (x1, y0, z0), (x1, y1, z0), (x1, y1, z1)]),
        ((-1, 0, 0), [(x0, y0, z0), (x0, y0, z1), (x0, y1, z1), (x0, y1, z0)]),
    ]
    out = []
    for normal, quad in faces:
        out.append((quad, normal, colour))
    return out


def main():
    parts = []
    parts += box(0, 0, 60, 40, 0, 12, (0.10, 0.20, 0.38, 1))        # podium
    parts += box(0, 0, 62, 42, 12, 13, (0.95, 0.55, 0.15, 1))       # lit cornice
    parts += box(-8, 0, 26, 22, 13, 58, (0.16, 0.42, 0.72, 1))      # tower
    parts += box(-8, 0, 27, 23, 40, 46, (0.45, 0.90, 1.00, 1))      # glass band
    parts += box(-8, 0, 20, 16, 58, 62, (0.85, 0.88, 0.92, 1))      # roof plant
    parts += box(-8, 0, 1.2, 1.2, 62, 82, (0.90, 0.20, 0.20, 1))    # antenna
    parts += box(18, 0, 18, 30, 12, 22, (0.45, 0.90, 1.00, 1))      # hall dome base

    positions, normals, colours, indices = [], [], [], []
    for quad, normal, colour in parts:
        base = len(positions)
        for p in quad:
            positions.append(p)
            normals.append(normal)
            colours.append(colour)
        indices += [base, base + 1, base + 2, base, base + 2, base + 3]

    def pack(fmt, rows):
        return b"".join(struct.pack(fmt, *r) for r in rows)

    pos_bytes = pack("<3f", positions)
    nrm_bytes = pack("<3f", normals)
    col_bytes = pack("<4f", colours)
    idx_bytes = struct.pack(f"<{len(indices)}I", *indices)
    chunks = [pos_bytes, nrm_bytes, col_bytes, idx_bytes]
    offsets, blob = [], b""
    for c in chunks:
        offsets.append(len(blob))
        blob += c
        blob += b"\0" * (-len(blob) % 4)

    mins = [min(p[i] for p in positions) for i in range(3)]
    maxs = [max(p[i] for p in positions) for i in range(3)]
    n = len(positions)
    doc = {
        "asset": {"version": "2.0", "generator": "twinhall make_command_centre.py"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0, "name": "command_centre"}],
        "meshes": [{"name": "command_centre", "primitives": [{
            "attributes": {"POSITION": 0, "NORMAL": 1, "COLOR_0": 2},
            "indices": 3, "material": 0}]}],
        "materials": [{"name": "facade", "pbrMetallicRoughness": {
            "baseColorFactor": [1, 1, 1, 1], "metallicFactor": 0.1, "roughnessFactor": 0.6}}],
        "buffers": [{"byteLength": len(blob)}],
        "bufferViews": [
            {"buffer": 0, "byteOffset": offsets[0], "byteLength": len(pos_bytes), "target": 34962},
            {"buffer": 0, "byteOffset": offsets[1], "byteLength": len(nrm_bytes), "target": 34962},
            {"buffer": 0, "byteOffset": offsets[2], "byteLength": len(col_bytes), "target": 34962},
            {"buffer": 0, "byteOffset": offsets[3], "byteLength": len(idx_bytes), "target": 34963},
        ],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": n, "type": "VEC3", "min": mins, "max": maxs},
            {"bufferView": 1, "componentType": 5126, "count": n, "type": "VEC3"},
            {"bufferView": 2, "componentType": 5126, "count": n, "type": "VEC4"},
            {"bufferView": 3, "componentType": 5125, "count": len(indices), "type": "SCALAR"},
        ],
    }
    js = json.dumps(doc, separators=(",", ":")).encode()
    js += b" " * (-len(js) % 4)
    glb = struct.pack("<III", 0x46546C67, 2, 12 + 8 + len(js) + 8 + len(blob))
    glb += struct.pack("<II", len(js), 0x4E4F534A) + js
    glb += struct.pack("<II", len(blob), 0x004E4942) + blob
    out = Path(__file__).with_name("command_centre.glb")
    out.write_bytes(glb)
    print(f"wrote {out} ({len(glb)} bytes, {n} vertices, {len(indices) // 3} triangles)")


if __name__ == "__main__":
    main()
