#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# docs.sh [OUT]
#
# Render Documentation.rst to HTML (default build/docs/Documentation.html)
# with Debian's python3-docutils, every warning being an error: all system
# messages of level WARNING or above are printed and make the exit status
# non-zero, and no HTML is left behind then.
#
# This is plain docutils, not Sphinx: Sphinx-only markup (".. kernel-doc::",
# ".. c:function::", ".. toctree::", roles such as :c:func: or :ref:) is an
# error here. Code blocks (".. code-block:: c") are rendered without syntax
# highlighting, so the result does not depend on python3-pygments.
#
# Exit status: 0 rendered cleanly, 1 warnings/errors or no Documentation.rst,
# 2 docutils missing.

set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
src=$TOP/Documentation.rst
out=${1:-$TOP/build/docs/Documentation.html}

if [ ! -f "$src" ]; then
	echo "docs: $src does not exist (nothing to render yet)" >&2
	exit 1
fi

# Debian's interpreter first: a python3 earlier in PATH (pyenv, venv) may
# not see python3-docutils.
py=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import docutils.core' 2>/dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then
	echo "docs: python3-docutils not installed: run scripts/deps.sh" >&2
	exit 2
fi

mkdir -p "$(dirname "$out")"
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT

# --report=warning prints WARNING and above, --exit-status=warning fails on
# them without halting at the first one, so that all are shown.
# DOCUTILSCONFIG= : no docutils.conf from /etc, ~ or the working directory.
if ! DOCUTILSCONFIG='' "$py" - "$src" "$tmp" <<'EOF'
import sys
from docutils.core import publish_cmdline
publish_cmdline(writer_name="html5", argv=[
    "--report=warning", "--exit-status=warning", "--halt=severe",
    "--syntax-highlight=none", "--no-datestamp", "--no-source-link",
    "--input-encoding=utf-8:strict", sys.argv[1], sys.argv[2]])
EOF
then
	rm -f "$out"	# no stale HTML from an earlier, clean render
	echo "docs: ${src#"$TOP"/} does not render cleanly (messages above)" >&2
	exit 1
fi
mv "$tmp" "$out"
trap - EXIT
chmod 0644 "$out"
echo "docs: ${out#"$TOP"/}"
