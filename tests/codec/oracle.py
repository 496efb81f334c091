#!/usr/bin/python3
"""Interop with an implementation that is not ours: python3-msgpack.

1. Bytes packed by liborca (codec_oracle pack) decode with msgpack.unpackb to
   the expected structure (a map keyed by field id).
2. Bytes packed by msgpack.packb (its own choice of int widths, float64 for
   every float) decode with orca_unpack (codec_oracle decode, which prints the
   value back as JSON by field name).
Usage: oracle.py PATH/TO/codec_oracle"""
import json
import subprocess
import sys

import msgpack

tool = sys.argv[1]
failures = 0


def check(name, got, want):
    global failures
    if got != want:
        failures += 1
        print(f"FAIL {name}:\n  got  {got!r}\n  want {want!r}")
    else:
        print(f"ok   {name}")


# 1. ours -> python
out = subprocess.run([tool, "pack"], check=True, capture_output=True, text=True).stdout
obj = msgpack.unpackb(bytes.fromhex(out.strip()), raw=False, strict_map_key=False)
want = {
    1: True, 2: -5, 3: 0, 4: 0, 5: -(1 << 40), 6: 0, 7: 65535, 8: 0, 9: 2**64 - 1,
    10: 1.5, 11: 0.1, 12: "héllo", 13: b"\x00\x01\xff", 14: 1795773600000000, 15: 0,
    16: 5, 17: {1: "A", 2: 1}, 18: [{1: "x", 2: 2, 3: 2.5}, {1: "y", 2: 300}],
    19: {"k": "v"}, 20: {-7: 1 << 40}, 23: {1: 1, 2: {1: 2, 3: []}, 3: []}, 24: [],
    25: [[1, 2], []], 26: 42,
}
check("liborca bytes decoded by python3-msgpack", obj, want)

# 2. python -> ours
src = {
    1: False, 2: 127, 3: -32768, 4: 2**31 - 1, 5: -(2**63), 6: 255, 7: 0, 8: 2**32 - 1,
    9: 2**64 - 1, 10: 0.25, 11: -1e300, 12: "日本", 13: b"\x01\x02", 14: -1,
    15: 5400000000, 16: 0, 17: {1: "sku", 2: 7, 3: 1.0},
    18: [{1: "a"}, {2: 9, 99: ["ignored", {"x": 1}]}], 19: {"a": "b", "c": ""},
    20: {1: -1, -2: 2**40}, 21: -3, 22: {1: "o"}, 23: {1: 5, 3: [{1: 6}]},
    24: ["t1", "t2"], 25: [[], [-1]], 1000: "unknown field",
}
raw = msgpack.packb(src, use_bin_type=True)
res = subprocess.run([tool, "decode"], input=raw.hex(), capture_output=True, text=True)
if res.returncode != 0:
    failures += 1
    print("FAIL decode:", res.stderr)
else:
    got = json.loads(res.stdout)
    want = {
        "b": False, "i8": 127, "i16": -32768, "i32": 2**31 - 1, "i64": -(2**63), "u8": 255,
        "u16": 0, "u32": 2**32 - 1, "u64": 2**64 - 1, "f32": 0.25, "f64": -1e300, "s": "日本",
        "by": "AQI=", "ts": "1969-12-31T23:59:59.999999Z", "dur": "1h30m", "tier": "FREE",
        "item": {"sku": "sku", "qty": 7, "price": 1},
        "items": [{"sku": "a", "qty": 1}, {"sku": "", "qty": 9}],
        "meta": {"a": "b", "c": ""}, "counts": {"1": -1, "-2": 2**40}, "opt_i": -3,
        "opt_item": {"sku": "o", "qty": 1},
        "tree": {"value": 5, "children": [{"value": 6, "children": []}]},
        "tags": ["t1", "t2"], "grid": [[], [-1]], "answer": 42,
    }
    check("python3-msgpack bytes decoded by liborca", got, want)

# 3. a python-packed value with a wrong type is refused with the field path.
raw = msgpack.packb({18: [{}, {2: "x"}]}, use_bin_type=True)
res = subprocess.run([tool, "decode"], input=raw.hex(), capture_output=True, text=True)
check("wrong type refused", (res.returncode, res.stderr.strip()),
      (1, "decode: items[1].qty: expected integer, got str"))

sys.exit(1 if failures else 0)
