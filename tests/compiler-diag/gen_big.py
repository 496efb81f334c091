#!/usr/bin/env python3
"""Write a .orca file with N declarations (default 5000) to stdout: enums,
structs that use earlier ones, tasks and schedules — the orcac scaling input
(tests/compiler-diag big test and the measurement in docs/language.md)."""
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
out = ["/// Generated: %d declarations." % n, "package big;", ""]
for i in range(n):
    k = i % 4
    if k == 0:
        out.append("enum Kind%d { A%d = 0; B%d = 1; C%d = 2; }" % (i, i, i, i))
    elif k == 1:
        out.append("/// Struct %d." % i)
        out.append("struct Rec%d {\n  1: string name;\n  2: u32 qty = 1;\n  3: Kind%d kind = B%d;\n"
                   "  4: list<string> tags;\n  5: map<string, i64> m;\n  6: optional f64 price;\n}"
                   % (i, i - 1, i - 1))
    elif k == 2:
        out.append("@queue(\"q%d\") @retry(max = 3, backoff = exponential(1s, 5m)) @timeout(30s)\n"
                   "task run%d(1: Rec%d rec, 2: bool dry = false) -> Rec%d;" % (i % 10, i, i - 1, i - 1))
    else:
        out.append("schedule sch%d: cron(\"*/5 * * * *\") -> run%d(rec = {name = \"x\", qty = 2}) "
                   "@catchup(once);" % (i, i - 1))
print("\n".join(out))
