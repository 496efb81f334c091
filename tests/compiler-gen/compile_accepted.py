#!/usr/bin/env python3
"""compile_accepted.py ORCAC INCLUDE_DIR OUT_DIR {names|deep}

Whatever orcac accepts must compile.

names: every identifier the C standard headers of this machine define
(macros from `cc -dM`, declarations from clang's AST, with gcc and clang, in
gnu17, c11 and c2x modes) and every C keyword is tried where orcac puts
names: as a struct member (an optional field, so its presence flag too),
and as a file-scope name (a struct or enum named so that its C type,
function or enum constant is exactly that identifier). orcac must reject
some of them; the others are generated and compiled by gcc and clang, in
one translation unit that first includes every standard header, as a user's
program might. A name orcac accepts but C cannot take fails the test, which
is how compiler/c_names.c stays complete.

deep: the deepest inputs orcac accepts (brackets nested 64 deep, structs
nested 64 deep by value, a 64-deep literal) generate code that compiles.
"""
import json
import os
import re
import subprocess
import sys

ORCAC, INCLUDE, OUT, MODE = sys.argv[1:5]

HEADERS = ("assert complex ctype errno fenv float inttypes iso646 limits locale math setjmp "
           "signal stdalign stdarg stdatomic stdbool stddef stdint stdio stdlib stdnoreturn "
           "string tgmath threads time uchar wchar wctype").split()
KEYWORDS = ("auto break case char const continue default do double else enum extern float for "
            "goto if inline int long register restrict return short signed sizeof static struct "
            "switch typedef union unsigned void volatile while _Alignas _Alignof _Atomic _Bool "
            "_Complex _Generic _Imaginary _Noreturn _Static_assert _Thread_local alignas alignof "
            "bool constexpr false nullptr static_assert thread_local true typeof typeof_unqual "
            "_BitInt _Decimal32 _Decimal64 _Decimal128 asm").split()
ORCA_KEYWORDS = set("package import enum struct task schedule optional list map true false".split())
COMPILERS = [("gcc", "gnu17"), ("gcc", "c2x"), ("clang", "gnu17"), ("clang", "c2x"), ("gcc", "c11")]
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ERROR = re.compile(r"^(.*?):(\d+):\d+: error: (.*)$")


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def std_prelude():
    return "".join("#include <%s.h>\n" % h for h in HEADERS)


def candidates():
    """Every identifier the standard headers define here, and the keywords."""
    names = set(KEYWORDS)
    src = std_prelude()
    for cc, std in [("gcc", "gnu17"), ("gcc", "c11"), ("gcc", "c2x"), ("clang", "gnu17"),
                    ("clang", "c2x")]:
        out = run([cc, "-std=" + std, "-E", "-dM", "-x", "c", "-"], input=src).stdout
        names.update(m.group(1) for m in re.finditer(r"#define (\w+)", out))
    for std in ("gnu17", "c2x"):
        out = run(["clang", "-std=" + std, "-fsyntax-only", "-Xclang", "-ast-dump=json", "-x",
                   "c", "-"], input=src).stdout
        for node in json.loads(out).get("inner", []):
            if node.get("name") and node.get("kind") in (
                    "TypedefDecl", "FunctionDecl", "VarDecl", "RecordDecl", "EnumDecl"):
                names.add(node["name"])
            for c in node.get("inner", []) if node.get("kind") == "EnumDecl" else []:
                names.add(c.get("name", ""))
    return sorted(n for n in names if IDENT.match(n) and n not in ORCA_KEYWORDS)


def snake(name, upper):
    """compiler/names.c's snake case."""
    out = []
    for i, c in enumerate(name):
        if c.isupper() and i > 0:
            p, nx = name[i - 1], name[i + 1] if i + 1 < len(name) else ""
            if p.islower() or p.isdigit() or (p.isupper() and nx.islower()):
                out.append("_")
        out.append(c.upper() if upper else c.lower())
    return "".join(out)


def camel(words):
    """A .orca name whose snake case is '_'.join(words), or None."""
    name = "".join(w[:1].upper() + w[1:] for w in words)
    return name if IDENT.match(name) and snake(name, False) == "_".join(words) else None


def check(files):
    """orcac --check on files; {(path, line)} of the errors, and the text.
    Files go in groups of at most 100 lines: orcac prints 200 errors a run."""
    bad, text, group, size = set(), "", [], 0
    for f in files + [None]:
        n = sum(1 for _ in open(f)) if f else 0
        if group and (f is None or size + n > 100):
            r = run([ORCAC, "--check"] + group)
            text += r.stderr
            group, size = [], 0
        if f:
            group.append(f)
            size += n
    for line in text.splitlines():
        m = ERROR.match(line)
        if m:
            bad.add((m.group(1), int(m.group(2))))
    return bad, text


def generate(files):
    for f in files:
        r = run([ORCAC, "-o", OUT, f])
        if r.returncode != 0:
            sys.exit("orcac rejects a file it accepted with --check: %s\n%s" % (f, r.stderr))


def compile_all(headers, sources):
    """Compile one TU: every standard header, then the generated code."""
    tu = os.path.join(OUT, "all.c")
    with open(tu, "w") as f:
        f.write(std_prelude())
        for h in headers:
            f.write('#include "%s"\n' % h)
        for c in sources:
            f.write('#include "%s"\n' % c)
    ok = True
    for cc, std in COMPILERS:
        r = run([cc, "-std=" + std, "-Wall", "-Wextra", "-Werror", "-isystem", INCLUDE, "-I",
                 OUT, "-c", tu, "-o", os.devnull])
        print("%s -std=%s: %s" % (cc, std, "ok" if r.returncode == 0 else "FAILED"))
        if r.returncode != 0:
            print("\n".join(r.stderr.splitlines()[:40]))
            ok = False
    return ok


def write(path, lines):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def names():
    cands = candidates()
    # Members: one optional field per candidate, one per line, checked in
    # files of 80, then all kept in one struct.
    fields = ["  %d: optional i32 %s;" % (i + 1, n) for i, n in enumerate(cands)]
    chunks = []
    for k in range(0, len(fields), 80):
        chunks.append(os.path.join(OUT, "m%d.orca" % k))
        write(chunks[-1], ["package m%d;" % k, "struct M {"] + fields[k:k + 80] + ["}"])
    bad, _ = check(chunks)
    kept = [f for i, f in enumerate(fields) if (chunks[i // 80], i % 80 + 3) not in bad]
    for c in chunks:
        os.remove(c)
    src = os.path.join(OUT, "members.orca")
    write(src, ["package members;", "struct M {"] + kept + ["}"])
    print("members: %d candidates, %d rejected" % (len(cands), len(fields) - len(kept)))
    # File scope: per package, the structs and enums whose C names are the
    # candidates ("uint8_t": package uint8, struct T; "SIG_ATOMIC_MAX":
    # package sig, enum Atomic, value MAX), and near misses (the candidates
    # without their last word: "sig_atomic", whose functions sig_atomic_init
    # ... must not meet the library either).
    decls = {}
    near = [n.rsplit("_", 1)[0] for n in cands if n.count("_") >= 2 and not n.startswith("_")]
    for n in sorted(set(cands + near)):
        words = n.split("_")
        if len(words) < 2 or not all(words):
            continue
        pkg = words[0].lower()
        if not IDENT.match(pkg) or pkg in ORCA_KEYWORDS:
            continue
        if n == n.lower():
            name = camel(words[1:])
            if name:
                decls.setdefault(pkg, set()).add("struct %s { 1: i32 x; }" % name)
        elif n == n.upper() and len(words) >= 3:
            for k in range(2, len(words)):
                enum, value = camel([w.lower() for w in words[1:k]]), "_".join(words[k:])
                if enum and IDENT.match(value) and snake(enum, True) == "_".join(words[1:k]):
                    decls.setdefault(pkg, set()).add("enum %s { %s = 0; }" % (enum, value))
                    break
    files = {}
    for pkg, ds in sorted(decls.items()):
        path = os.path.join(OUT, "p_%s.orca" % pkg)
        files[path] = ["package %s;" % pkg] + sorted(ds)
        write(path, files[path])
    bad, _ = check(sorted(files))
    total = rejected = 0
    accepted = []
    for path, lines in sorted(files.items()):
        keep = [l for i, l in enumerate(lines) if (path, i + 1) not in bad]
        total += len(lines) - 1
        rejected += len(lines) - 1 if (path, 1) in bad else len(lines) - len(keep)
        if (path, 1) in bad or len(keep) == 1:
            os.remove(path)  # the package itself, or every declaration, was rejected
            continue
        write(path, keep)
        accepted.append(path)
    print("file scope: %d declarations in %d packages, %d rejected" % (total, len(decls), rejected))
    generate([src] + accepted)
    bases = [os.path.basename(p)[:-len(".orca")] for p in [src] + accepted]
    return compile_all([b + ".orca.h" for b in bases], [b + ".orca.c" for b in bases])


def deep():
    src = os.path.join(OUT, "deep.orca")
    lists = "list<" * 63 + "i32" + ">" * 63
    maps = "map<string, " * 62 + "i32" + ">" * 62
    lines = ["package deep;",
             "struct A { 1: %s xs; 2: optional A a; 3: %s m; }" % (lists, maps),
             "task t(1: optional %s xs, 2: A a);" % ("list<" * 62 + "A" + ">" * 62),
             "schedule s: every(1s) -> t(a = %s{}%s);" % ("{a = " * 62, "}" * 62)]
    lines += ["struct C%d { 1: C%d c; }" % (i, i + 1) for i in range(63)]
    lines.append("struct C63 { 1: i32 v; }")
    write(src, lines)
    bad, err = check([src])
    if bad:
        sys.exit("orcac rejects the deepest valid input:\n" + err)
    generate([src])
    return compile_all(["deep.orca.h"], ["deep.orca.c"])


os.makedirs(OUT, exist_ok=True)
sys.exit(0 if (names() if MODE == "names" else deep()) else 1)
