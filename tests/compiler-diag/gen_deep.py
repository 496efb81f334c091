#!/usr/bin/env python3
"""Write one deep or long .orca input to stdout, by kind (tests/compiler-diag
deep test; the small ones are also in the fuzz corpus):

  chain N         N structs, each embedding the next by value
  cycle N         N structs embedding each other by value in a ring
  optcycle N      the same ring through optional fields (valid)
  listchain N     N structs, each holding a list of the next (valid)
  diamond N       N layers of two structs, each referring to both structs of
                  the next layer, the last to the first (valid; the number of
                  paths doubles with each layer)
  types N         a field type with N nested lists
  literal N       a schedule argument with N nested struct literals
  parens N        N nested parentheses
  oneline N       a struct of N fields (ids 1..N) on one line
  wide N          a struct of N optional fields, a task and a schedule whose
                  struct literal sets every field (valid)
  enumlist N      an enum of N values and a schedule argument listing them
                  all (valid)
  args N          a task of N parameters and a schedule giving each (valid)
  annots N        a task with N different unknown annotations
  import N DIR    N files DIR/f0.orca .. f(N-1).orca, each importing the next
                  (prints nothing)
  sameimport N DIR  DIR/a.orca, and an input importing it N times (valid)
"""
import os
import sys

kind, n = sys.argv[1], int(sys.argv[2])
out = ["package deep;"]
if kind == "chain":
    out += ["struct S%d { 1: S%d next; }" % (i, i + 1) for i in range(n - 1)]
    out.append("struct S%d { 1: i32 v; }" % (n - 1))
elif kind in ("cycle", "optcycle"):
    opt = "optional " if kind == "optcycle" else ""
    out += ["struct S%d { 1: %sS%d next; }" % (i, opt, (i + 1) % n) for i in range(n)]
elif kind == "listchain":
    out += ["struct S%d { 1: list<S%d> next; }" % (i, i + 1) for i in range(n - 1)]
    out.append("struct S%d { 1: i32 v; }" % (n - 1))
elif kind == "diamond":
    for i in range(n):
        for s in "AB":
            out.append("struct %s%d { 1: optional A%d a; 2: list<B%d> b; }"
                       % (s, i, (i + 1) % n, (i + 1) % n))
elif kind == "types":
    out.append("struct A { 1: %si32%s x; }" % ("list<" * n, ">" * n))
elif kind == "literal":
    out.append("struct A { 1: optional A a; }")
    out.append("task t(1: A a);")
    out.append("schedule s: every(1s) -> t(a = %s{}%s);" % ("{a = " * n, "}" * n))
elif kind == "parens":
    out.append("task t();")
    out.append("schedule s: every%s1s%s -> t();" % ("(" * n, ")" * n))
elif kind == "oneline":
    out.append("struct A { %s}" % "".join("%d: i32 f%d; " % (i + 1, i) for i in range(n)))
elif kind == "wide":
    out.append("struct A {\n%s}" % "".join("  %d: optional i32 f%d;\n" % (i + 1, i)
                                             for i in range(n)))
    out.append("task t(1: A a);")
    out.append("schedule s: every(1s) -> t(a = {%s});" % ", ".join("f%d = 1" % i for i in range(n)))
elif kind == "enumlist":
    out.append("enum E {\n%s}" % "".join("  V%d = %d;\n" % (i, i) for i in range(n)))
    out.append("task t(1: list<E> e);")
    out.append("schedule s: every(1s) -> t(e = [%s]);" % ", ".join("V%d" % (n - 1 - i)
                                                                  for i in range(n)))
elif kind == "args":
    out.append("task t(%s);" % ", ".join("%d: i32 f%d" % (i + 1, i) for i in range(n)))
    out.append("schedule s: every(1s) -> t(%s);" % ", ".join("f%d = 1" % i for i in range(n)))
elif kind == "annots":
    out.append("%stask t();" % "".join("@a%d " % i for i in range(n)))
elif kind == "sameimport":
    with open(os.path.join(sys.argv[3], "a.orca"), "w") as f:
        f.write("package a;\n")
    out += ['import "a.orca";'] * n
elif kind == "import":
    d = sys.argv[3]
    for i in range(n):
        with open(os.path.join(d, "f%d.orca" % i), "w") as f:
            f.write("package f%d;\n" % i)
            if i + 1 < n:
                f.write('import "f%d.orca";\n' % (i + 1))
    sys.exit(0)
else:
    sys.exit("gen_deep.py: unknown kind " + kind)
print("\n".join(out))
