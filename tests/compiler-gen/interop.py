#!/usr/bin/python3
"""interop.py -- the Python half of the generated-code interop test.

Checks that bytes written by orcac's generated C (interop_tool write) decode
with Debian's python3-msgpack -- a msgpack implementation that is not ours --
to exactly the expected structure (a map keyed by field id), and writes
values Python-side for the C side to decode (interop_tool read).

    interop.py check DIR   verify DIR/c_fixed.bin and DIR/c_default.bin
    interop.py write DIR   write DIR/py_fixed.bin and DIR/py_unknown.bin

EXPECTED mirrors fill_fixed() in interop_tool.c field by field.
"""
import math
import struct
import sys

import msgpack

EXPECTED = {
    1: False,
    2: -128,
    3: 32767,
    4: -2147483648,
    5: -9223372036854775808,
    6: 255,
    7: 65535,
    8: 4294967295,
    9: 12345678901234567890,
    10: 0.5,
    11: 3.141592653589793,
    12: "h\u00e9llo",
    13: b"\x00\x01\x02\xff",
    14: 1700000000123456,
    15: -250000,
    16: 7,
    17: {1: "in", 2: 3},
    18: [1, -2, 2147483647],
    19: ["alpha", "", "\u00e9t\u00e9"],
    20: [{1: "x", 2: 1}, {1: "y", 2: -1}],
    21: {"a": 1, "b": -9000000000},
    22: {-1: {1: "neg", 2: 0}, 7: {1: "seven", 2: 7}},
    23: {18446744073709551615: "max"},
    24: 0,
    25: {1: "opt", 2: 9},
    26: ["m"],
    27: "",
    28: {1: 1, 2: {1: 2, 3: []}, 3: [{1: 3, 3: []}]},
    29: [[1, 2], [3]],
    30: {"warm": [0, -3]},
    31: -3,
    32: b"",
    33: [b"\x00\x01", b""],
    34: {-128: True, 127: False},
}

# What alltypes_all_init() produces: every non-optional field with its
# default; optional fields (24-27, 31, 32) absent from the map.
DEFAULTS = {
    1: True, 2: -8, 3: -300, 4: 70000, 5: -5000000000, 6: 200, 7: 60000, 8: 42,
    9: 18446744073709551615, 10: 1.5, 11: -0.25, 12: 'hi "there"\n', 13: b"",
    14: 0, 15: 5000000, 16: 1, 17: {1: "", 2: -5}, 18: [], 19: [], 20: [],
    21: {}, 22: {}, 23: {}, 28: {1: 0, 3: []}, 29: [], 30: {}, 33: [], 34: {},
}


def same(want, got, path="$"):
    """Compare decoded msgpack with the expectation, types included (str vs
    bytes, bool vs int); floats exactly. Returns a list of differences."""
    if isinstance(want, bool) or isinstance(got, bool):
        return [] if type(want) is type(got) and want == got else [f"{path}: {got!r} != {want!r}"]
    if isinstance(want, float):
        ok = isinstance(got, float) and (got == want or (math.isnan(got) and math.isnan(want)))
        return [] if ok else [f"{path}: {got!r} != {want!r}"]
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return [f"{path}: expected a map, got {got!r}"]
        diffs = []
        for k in sorted(set(want) | set(got), key=repr):
            if k not in got:
                diffs.append(f"{path}[{k!r}]: missing")
            elif k not in want:
                diffs.append(f"{path}[{k!r}]: unexpected {got[k]!r}")
            else:
                diffs += same(want[k], got[k], f"{path}[{k!r}]")
        return diffs
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return [f"{path}: {got!r} != {want!r}"]
        diffs = []
        for i, (w, g) in enumerate(zip(want, got)):
            diffs += same(w, g, f"{path}[{i}]")
        return diffs
    return [] if type(want) is type(got) and want == got else [f"{path}: {got!r} != {want!r}"]


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    # strict_map_key=False: struct maps are keyed by integers.
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


def check(d):
    diffs = []
    fixed = load(f"{d}/c_fixed.bin")
    # f32 travels as a msgpack float 32; 0.5 is exact in both widths.
    diffs += same(EXPECTED, fixed, "c_fixed")
    diffs += same(DEFAULTS, load(f"{d}/c_default.bin"), "c_default")
    for line in diffs:
        print("interop.py:", line, file=sys.stderr)
    return 1 if diffs else 0


def write(d):
    with open(f"{d}/py_fixed.bin", "wb") as f:
        f.write(msgpack.packb(EXPECTED, use_bin_type=True))
    unknown = {
        12: "kept",
        100: [1, {"x": [b"y", None]}, [[[]]]],
        200: {1: 2.5, "k": -1},
        101: True,
        102: -1.5,
        103: "s" * 300,
        104: b"b" * 70000,
        105: 18446744073709551615,
        65535: None,
    }
    with open(f"{d}/py_unknown.bin", "wb") as f:
        f.write(msgpack.packb(unknown, use_bin_type=True))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("check", "write"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(check(sys.argv[2]) if sys.argv[1] == "check" else write(sys.argv[2]))
