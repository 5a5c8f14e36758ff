#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# docs.sh [OUT]
#
# Render Documentation.rst to HTML (default build/docs/Documentation.html)
# with Debian's python3-docutils, every warning being an error.
#
# Documentation.rst pulls the reference parts from the sources with the
# kernel's directive:
#
#   .. kernel-doc:: FILE
#      :doc: TITLE                  a "DOC: TITLE" block of FILE
#      :identifiers: NAME...        the kernel-doc of those structs/functions
#
# This is plain docutils, not Sphinx: each directive is expanded first, by
# the kernel's own scripts/kernel-doc (from Debian's 6.1 headers) in its
# reStructuredText mode, and the few Sphinx-only constructs it emits
# (c:type / c:function directives and roles) become plain reStructuredText
# (a rubric, a literal). The expanded text is kept as
# build/docs/Documentation.expanded.rst. Any other Sphinx-only markup is an
# error. Code blocks are rendered without syntax highlighting, so the result
# does not depend on python3-pygments.
#
# Exit status: 0 rendered cleanly, 1 warnings/errors (or a directive that
# expands to nothing), 2 docutils or kernel-doc missing.

set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
src=$TOP/Documentation.rst
out=${1:-$TOP/build/docs/Documentation.html}

# Debian's interpreter first: a python3 earlier in PATH (pyenv, venv) may
# not see python3-docutils.
py=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import docutils.core' 2>/dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then
	echo "docs: python3-docutils not installed: run make deps" >&2
	exit 2
fi
kdir=$("$TOP/scripts/kernels.sh" kdir 6.1 2>/dev/null) || kdir=
kd=$kdir/scripts/kernel-doc
if [ -z "$kdir" ] || [ ! -x "$kd" ]; then
	echo "docs: no scripts/kernel-doc (Debian's 6.1 headers): run make deps" >&2
	exit 2
fi

mkdir -p "$(dirname "$out")"
expanded=$(dirname "$out")/Documentation.expanded.rst
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT

# --report=warning prints WARNING and above, --exit-status=warning fails on
# them without halting at the first one, so that all are shown.
# DOCUTILSCONFIG= : no docutils.conf from /etc, ~ or the working directory.
if ! DOCUTILSCONFIG='' "$py" - "$src" "$expanded" "$tmp" "$kd" "$TOP" <<'PY'
import re
import subprocess
import sys
from docutils.core import publish_cmdline

src, expanded, out, kd, top = sys.argv[1:6]


def kerneldoc(path, doc, idents):
    args = [kd, "-rst"]
    if doc:
        args += ["-function", doc]
    for name in idents:
        args += ["-function", name]
    text = subprocess.run(args + [path], cwd=top, check=True,
                          capture_output=True, text=True).stdout
    if not text.strip():
        sys.exit("docs: kernel-doc %s %s gave nothing" %
                 (path, doc or " ".join(idents)))
    # Sphinx's C domain, as plain reStructuredText
    # a rubric has no content: its one-line description follows, dedented
    text = re.sub(r"^\.\. c:(?:type|function|macro|struct|enum):: (.*)\n\n"
                  r"   (.*)$", r".. rubric:: \1\n\n\2", text, flags=re.M)
    text = re.sub(r":c:(?:type|func|macro):`([^`<]*?)(?: <[^>]*>)?`",
                  r"``\1``", text)
    return text


lines = open(src, encoding="utf-8").read().split("\n")
res, i = [], 0
while i < len(lines):
    m = re.match(r"^(\s*)\.\. kernel-doc:: (\S+)\s*$", lines[i])
    if not m:
        res.append(lines[i])
        i += 1
        continue
    indent, path = m.group(1), m.group(2)
    i += 1
    doc, idents, key = None, [], None
    while i < len(lines) and (lines[i].startswith(indent + " ") and
                              lines[i].strip()):
        opt = re.match(r"^\s*:(\w+):\s*(.*)$", lines[i])
        if opt:
            key = opt.group(1)
            val = opt.group(2).strip()
        else:
            val = lines[i].strip()	# a continuation of the last option
        if key == "doc":
            doc = val if doc is None else doc + " " + val
        elif key == "identifiers":
            idents += val.split()
        else:
            sys.exit("docs: kernel-doc option :%s: is not supported" % key)
        i += 1
    for line in kerneldoc(path, doc, idents).split("\n"):
        res.append(indent + line if line else line)
open(expanded, "w", encoding="utf-8").write("\n".join(res))
publish_cmdline(writer_name="html5", argv=[
    "--report=warning", "--exit-status=warning", "--halt=severe",
    "--syntax-highlight=none", "--no-datestamp", "--no-source-link",
    "--input-encoding=utf-8:strict", expanded, out])
PY
then
	rm -f "$out"	# no stale HTML from an earlier, clean render
	echo "docs: ${src#"$TOP"/} does not render cleanly (messages above;" \
	     "expanded text in ${expanded#"$TOP"/})" >&2
	exit 1
fi
mv "$tmp" "$out"
trap - EXIT
chmod 0644 "$out"
echo "docs: ${out#"$TOP"/}"
