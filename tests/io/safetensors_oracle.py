#!/usr/bin/env python3
"""Independent safetensors reader/writer for tests/io/safetensors_test.cpp (standard library only).

  safetensors_oracle.py read FILE    parse FILE, check the layout rules, print it as JSON:
      {"header_len": N, "metadata": {...},
       "tensors": [{"name", "dtype", "shape", "begin", "end", "values"}...]}   (header order)
  safetensors_oracle.py write FILE   write a fixed set of tensors to FILE (header NOT padded, so
      the data buffer starts at an odd offset, and data stored in a different order than the
      header lists it) and print the same JSON description of what was written.

Values are decoded to numbers (F32/F16/BF16 as floats, I32 as ints). Exit status 1 with a message
on stderr when the file breaks a rule of the format.
"""
import json
import struct
import sys

SIZES = {"F32": 4, "F16": 2, "BF16": 2, "I32": 4}


def fail(msg):
    print(f"oracle: {msg}", file=sys.stderr)
    sys.exit(1)


def decode(dtype, raw):
    n = len(raw) // SIZES[dtype]
    if dtype == "F32":
        return list(struct.unpack(f"<{n}f", raw))
    if dtype == "F16":
        return list(struct.unpack(f"<{n}e", raw))
    if dtype == "I32":
        return list(struct.unpack(f"<{n}i", raw))
    # BF16: the high half of an f32.
    halves = struct.unpack(f"<{n}H", raw)
    return [struct.unpack("<f", struct.pack("<I", h << 16))[0] for h in halves]


def encode(dtype, values):
    n = len(values)
    if dtype == "F32":
        return struct.pack(f"<{n}f", *values)
    if dtype == "F16":
        return struct.pack(f"<{n}e", *values)
    if dtype == "I32":
        return struct.pack(f"<{n}i", *values)
    out = b""
    for v in values:  # values are chosen exactly representable in bf16
        bits = struct.unpack("<I", struct.pack("<f", v))[0]
        if bits & 0xFFFF:
            fail(f"{v} is not exactly representable in bf16")
        out += struct.pack("<H", bits >> 16)
    return out


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        fail("file shorter than 8 bytes")
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        fail("header length past end of file")
    header = json.loads(blob[8 : 8 + n].decode("utf-8"))
    buf = blob[8 + n :]
    metadata = header.pop("__metadata__", {})
    tensors = []
    for name, entry in header.items():
        dtype, shape = entry["dtype"], entry["shape"]
        begin, end = entry["data_offsets"]
        if dtype not in SIZES:
            fail(f"{name}: unexpected dtype {dtype}")
        if end - begin != numel(shape) * SIZES[dtype] or end > len(buf):
            fail(f"{name}: bad data_offsets")
        tensors.append({"name": name, "dtype": dtype, "shape": shape, "begin": begin,
                        "end": end, "values": decode(dtype, buf[begin:end])})
    covered = 0
    for t in sorted(tensors, key=lambda t: (t["begin"], t["end"])):
        if t["begin"] != covered:
            fail(f"{t['name']}: hole or overlap at byte {covered}")
        covered = t["end"]
    if covered != len(buf):
        fail("data buffer not fully covered")
    return {"header_len": n, "metadata": metadata, "tensors": tensors}


def write(path):
    # (name, dtype, shape, values), in header order.
    tensors = [
        ("embed.weight", "F32", [2, 3], [0.5, -1.25, 3.0, 1e-3, -7.5, 100.0]),
        ("scalar", "F32", [], [42.0]),
        ("half", "F16", [4], [1.0, -0.5, 65504.0, 0.099975586]),
        ("brain", "BF16", [2, 2], [1.0, -2.0, 0.15625, 2.0**100]),
        ("ids", "I32", [3], [7, -2147483648, 2147483647]),
        ("empty", "F32", [0, 5], []),
    ]
    # Store the data in reverse order so the offsets do not follow the header order.
    blobs = {name: encode(dtype, values) for name, dtype, _, values in tensors}
    offsets, pos = {}, 0
    for name, _, _, _ in reversed(tensors):
        offsets[name] = (pos, pos + len(blobs[name]))
        pos += len(blobs[name])
    header = {"__metadata__": {"format": "pt", "source": "oracle"}}
    for name, dtype, shape, _ in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": list(offsets[name])}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    if (8 + len(text)) % 2 == 0:
        text += b" "  # make the data buffer start at an odd offset (forces copies in C++)
    data = b"".join(blobs[name] for name, _, _, _ in reversed(tensors))
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)
    return read(path)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("read", "write"):
        fail("usage: safetensors_oracle.py read|write FILE")
    result = read(sys.argv[2]) if sys.argv[1] == "read" else write(sys.argv[2])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
