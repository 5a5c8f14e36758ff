#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh [SERIES...]   (default: 6.1 6.12)
#
# The whole suite on each Debian kernel in turn (scripts/vm-run.sh SERIES
# check): prints "== kernel <krel> ==", that kernel's KTAP results and its
# "<krel>: N passed, N failed, N skipped", then, as the very last line, the
# totals "N passed, N failed, N skipped". Exit status 0 iff nothing failed
# (and something passed).

set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- 6.1 6.12

tp=0 tf=0 ts=0
for s in "$@"; do
	if ! krel=$("$TOP/scripts/kernels.sh" krel "$s"); then
		echo "== kernel $s =="
		echo "not ok 1 kernel $s is available (run scripts/deps.sh)"
		tf=$((tf + 1))
		continue
	fi
	echo "== kernel $krel =="
	counts=$TOP/build/$krel/results/check/counts
	rm -f "$counts"
	"$TOP/scripts/vm-run.sh" "$s" check
	if [ -s "$counts" ]; then
		read -r p f k < "$counts"
	else
		echo "not ok 1 $krel: vm-run.sh produced no results"
		p=0 f=1 k=0
	fi
	tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + k))
done
echo "$tp passed, $tf failed, $ts skipped"
[ "$tf" = 0 ] && [ "$tp" -gt 0 ]
