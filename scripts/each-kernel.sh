#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# each-kernel.sh MODE [ARGS...]
#
# The one per-kernel loop of make check, fuzz, stress, lifecycle and bench:
# for each kernel series of $TM_KERNELS (default "6.1 6.12 7.3"), run
# scripts/vm-run.sh SERIES MODE ARGS (boot that kernel under qemu, run MODE
# in it, check its log), then add up the results. Prints "== kernel <krel>:
# MODE ARGS ==" and vm-run.sh's output per kernel, then, as the very last
# line, "N passed, N failed, N skipped". A kernel that is not installed
# counts as one failure.
#
# Environment:
#   TM_KERNELS="6.1 6.12 7.3"  the kernel series
#   TM_COUNTS=FILE         also write "PASSED FAILED SKIPPED" there
#   everything vm-run.sh reads (TM_TIMEOUT, TM_MODPARAMS, TM_SKIP_BUILD...)
#
# Exit status 0 iff nothing failed and something passed.

set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: each-kernel.sh MODE [ARGS...]" >&2; exit 2; }
mode=$1
shift

tp=0 tf=0 ts=0
for s in ${TM_KERNELS:-6.1 6.12 7.3}; do
	if ! krel=$("$TOP/scripts/kernels.sh" krel "$s"); then
		echo "== kernel $s =="
		echo "not ok 1 kernel $s is available (run make deps)"
		tf=$((tf + 1))
		continue
	fi
	echo "== kernel $krel: $mode $* =="
	res=$TOP/build/$krel/results/$mode
	rm -f "$res/counts"
	"$TOP/scripts/vm-run.sh" "$s" "$mode" "$@"
	if [ -s "$res/counts" ]; then
		read -r p f k < "$res/counts"
	else
		echo "not ok 1 $krel: vm-run.sh produced no results"
		p=0 f=1 k=0
	fi
	tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + k))
done
[ -n "${TM_COUNTS:-}" ] && echo "$tp $tf $ts" > "$TM_COUNTS"
echo "$tp passed, $tf failed, $ts skipped"
[ "$tf" = 0 ] && [ "$tp" -gt 0 ]
