#!/usr/bin/env python3
"""deps_check.py - the body of `make deps-check` (part of `make check`): the Debian
packages `make check` installs against the commands the test scripts run.

The Makefile lists the test tools once, as COMMAND:PACKAGE (TEST_TOOLS; VALGRIND_TOOLS for
`make valgrind`). The test scripts declare what they run with `needs SUITE CMD...` or
`optional WHAT CMD...` (tests/need.sh). This fails when

  1. a shell script under tests/ runs a command of a Debian package that is neither
     Essential nor of priority required (those are on every Debian, even a minbase
     debootstrap) without declaring it (itself, or every script that sources it);
  2. a declared command is neither in the tables nor from such a base package;
  3. a command of TEST_TOOLS is not on the PATH (make test-deps ran before this), or
     dpkg says the file comes from another package than the table names.

"Runs" is read from the text: a word in command position or any argument word, outside
comments, here-documents and quoted text (but inside $(...)); shell builtins and keywords
are not commands. Scripts marked with a line "# deps-check: not run by make check" are
left out (tools run by hand). Python tests run only the programs they are given.

usage: tests/deps_check.py --check CMD:PKG... [--other CMD:PKG...]
Prints "not ok - WHAT" per failure, then "deps-check: N passed, M failed".
"""
import glob
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP_MARK = "# deps-check: not run by make check"
BUILTINS = set("""
. : [ alias bg bind break builtin caller case cd command compgen complete compopt continue
declare dirs disown do done echo elif else enable esac eval exec exit export false fc fg fi
for function getopts hash help history if in jobs kill let local logout mapfile popd printf
pushd pwd read readarray readonly return select set shift shopt source suspend test then
time times trap true type typeset ulimit umask unalias unset until wait while
""".split())
DECL = re.compile(r'(?:^|[;&|]\s*|\bif\s+|\b!\s+)(needs|optional)\s+("[^"]*"|\S+)\s+([^;&|]*)')
SOURCE = re.compile(r'^\s*(?:\.|source)\s+"?(\$here|\$\(dirname "\$0"\))/([^"\s]+)"?')
HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_]+)\1")


def dpkg_tables():
    """(path -> package for every file under a bin directory, set of base packages,
    package -> the packages it depends on)."""
    base, installed, owner, deps = set(), [], {}, {}
    status = open("/var/lib/dpkg/status", encoding="utf-8", errors="replace").read()
    for block in status.split("\n\n"):
        f = dict(re.findall(r"^([A-Za-z-]+): ?(.*)$", block, re.M))
        if "Package" not in f or not f.get("Status", "").endswith(" installed"):
            continue
        installed.append((f["Package"], f.get("Architecture", "")))
        deps[f["Package"]] = set(re.findall(r"(?:^|[,|]\s*)([a-z0-9][a-z0-9.+-]*)",
                                            f.get("Depends", "") + "," + f.get("Pre-Depends", "")))
        if f.get("Essential") == "yes" or f.get("Priority") == "required":
            base.add(f["Package"])
    for pkg, arch in installed:
        for name in (f"/var/lib/dpkg/info/{pkg}.list", f"/var/lib/dpkg/info/{pkg}:{arch}.list"):
            if os.path.exists(name):
                for line in open(name, encoding="utf-8", errors="replace"):
                    path = line.rstrip("\n")
                    if re.match(r"^(/usr)?(/local)?/s?bin/[^/]+$", path):
                        owner[path] = pkg
    return owner, base, deps


def package_of(path, owner):
    """The package that ships the file at path (merged /usr, symlinks), or None."""
    cands = [path, os.path.realpath(path)]
    for p in list(cands):
        cands.append(p[4:] if p.startswith("/usr/") else "/usr" + p)
    for p in cands:
        if p in owner:
            return owner[p]
    return None


def strip_quotes(line):
    """The line without comments and quoted text, keeping $(...) inside double quotes."""
    out, i, n, dq = [], 0, len(line), False
    while i < n:
        c = line[i]
        if c == "\\":
            i += 2
            continue
        if c == "$" and line.startswith("$(", i):
            depth, j = 0, i
            while j < n:
                if line[j] == "(":
                    depth += 1
                elif line[j] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            out.append(" " + strip_quotes(line[i + 2:j]) + " ")
            i = j + 1
            continue
        if dq:
            if c == '"':
                dq = False
            i += 1
            continue
        if c == '"':
            dq = True
        elif c == "'":
            j = line.find("'", i + 1)
            i = n if j < 0 else j + 1
            continue
        elif c == "#" and (i == 0 or line[i - 1] in " \t;&|("):
            break
        else:
            out.append(c)
        i += 1
    return "".join(out)


def scan(path):
    """(declared commands, used words, sourced files) of one shell script."""
    declared, used, sourced = set(), set(), []
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        m = SOURCE.match(line)
        if m:
            sourced.append(os.path.normpath(os.path.join(os.path.dirname(path), m.group(2))))
            continue
        code = strip_quotes(line)
        d = DECL.search(line)
        if d and not re.match(r"^\s*(needs|optional)\s*\(\)", line):
            declared.update(d.group(3).split())
            code = code.replace(d.group(3).strip(), " ")
        # Assignments (x=1, local y=$z) and loop variables (for size in ...) are not
        # commands; $(...) was spaced out above.
        code = re.sub(r"\bfor\s+\w+\s+in\b", " ", code)
        used.update(w for w in re.split(r"[\s;&|(){}<>`!]+", code) if w and "=" not in w)
        h = HEREDOC.search(line)
        if h:  # skip the here-document's body
            end = h.group(2)
            while i < len(lines) and lines[i].strip() != end:
                i += 1
            i += 1
    return declared, used, sourced


def parse_table(args):
    table = {}
    for a in args:
        cmd, _, pkg = a.partition(":")
        table[cmd] = pkg
    return table


def main(argv):
    if "--check" not in argv:
        print(__doc__.split("usage: ")[1].split("\n")[0], file=sys.stderr)
        return 2
    i = argv.index("--check")
    j = argv.index("--other") if "--other" in argv else len(argv)
    check, other = parse_table(argv[i + 1:j]), parse_table(argv[j + 1:])
    tables = {**other, **check}
    owner, base, deps = dpkg_tables()
    # Every command name of an installed non-base package, and every table command.
    tool_pkg = {os.path.basename(p): pkg for p, pkg in owner.items() if pkg not in base}
    tool_pkg.update(tables)
    for name in BUILTINS:
        tool_pkg.pop(name, None)

    fails, passed = [], 0

    def fail(what):
        fails.append(what)
        print("not ok - " + what)

    scripts = sorted(glob.glob(os.path.join(HERE, "**", "*.sh"), recursive=True))
    scripts = [s for s in scripts if SKIP_MARK not in open(s, encoding="utf-8").read()]
    info = {s: scan(s) for s in scripts}
    helper = os.path.join(HERE, "need.sh")
    sourced_by = {}
    for s, (_, _, src) in info.items():
        for f in src:
            sourced_by.setdefault(f, []).append(s)
    rel = lambda p: os.path.relpath(p, os.path.dirname(HERE))

    all_declared = {}
    for s, (declared, used, src) in info.items():
        if s == helper:
            continue
        for cmd in declared:
            all_declared.setdefault(cmd, []).append(rel(s))
        if s in sourced_by:  # a library: the scripts that source it declare for it
            continue
        words = set(used)
        for f in src:
            if f in info:
                words |= info[f][1]
        undeclared = sorted(w for w in words if w in tool_pkg and w not in declared)
        if undeclared:
            fail(f"{rel(s)} runs {', '.join(undeclared)} (Debian: "
                 f"{', '.join(tool_pkg[w] for w in undeclared)}) without declaring it "
                 "(needs/optional, tests/need.sh)")
        else:
            passed += 1

    for cmd, who in sorted(all_declared.items()):
        if cmd in tables:
            passed += 1
            continue
        path = shutil.which(cmd)
        pkg = package_of(path, owner) if path else None
        if pkg in base:
            passed += 1
        else:
            fail(f"{cmd} (declared by {', '.join(who)}) is not in TEST_TOOLS in the Makefile "
                 f"(dpkg: {pkg or 'not from a Debian package'})")

    for cmd, pkg in sorted(tables.items()):
        path = shutil.which(cmd)
        if path is None:
            if cmd in check:
                fail(f"{cmd}: not on the PATH, although make test-deps installs {pkg}")
            continue
        # The package, or one it depends on (python3: python3-minimal), ships the command
        # (the PATH may find another copy first).
        ours = {pkg} | deps.get(pkg, set())
        ships = [p for p, o in owner.items() if o in ours and os.path.basename(p) == cmd]
        if ships:
            passed += 1
        else:
            fail(f"{cmd}: {pkg} ships no such command ({path} comes from "
                 f"{package_of(path, owner) or 'no package'})")

    print(f"deps-check: {len(all_declared)} commands declared in {len(info) - 1} scripts, "
          f"{len(check)} in TEST_TOOLS")
    print(f"deps-check: {passed} passed, {len(fails)} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
