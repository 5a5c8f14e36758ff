#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh [SERIES...]   (default: 6.1 6.12 7.3)
#
# First the host-side checks, as "== host checks ==": scripts/lint.sh
# (checkpatch --strict, W=1, sparse, kernel-doc, the Documentation.rst
# render; TM_LINT_CHECKS selects) and scripts/nonotifier-build.sh (the
# build stops with one message on a kernel without MMU_NOTIFIER/HMM_MIRROR,
# and builds with them; TM_NONOTIFIER=0 skips it). TM_HOST_CHECKS=0 skips
# them all.
#
# Then the whole suite on each kernel in turn (scripts/each-kernel.sh
# check): "== kernel <krel> ==", that kernel's KTAP results and its
# "<krel>: N passed, N failed, N skipped"; then, as the very last line, the
# totals of everything, "N passed, N failed, N skipped" (also written, as
# "PASSED FAILED SKIPPED", to the file TM_COUNTS if set). Exit status 0 iff
# nothing failed (and something passed).

set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- 6.1 6.12 7.3

tp=0 tf=0 ts=0

# run NAME CMD...: one host program, its KTAP counted like a guest program's
run() {
	local name=$1 t0 rc
	shift
	t0=$(date +%s)
	echo "TM-BEGIN $name $*"
	"$@" 2>&1
	rc=$?
	echo "TM-END $name rc=$rc secs=$(($(date +%s) - t0)) limit=0"
}

# add COUNTS-FILE WHAT: add its "PASSED FAILED SKIPPED" to the totals (one
# failure if there is none); leaves them in p f k
add() {
	if [ -s "$1" ]; then
		read -r p f k < "$1"
	else
		echo "not ok 1 $2 produced no results"
		p=0 f=1 k=0
	fi
	tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + k))
}

if [ "${TM_HOST_CHECKS:-1}" != 0 ]; then
	echo "== host checks =="
	hc=$TOP/build/host-checks
	mkdir -p "$hc"
	rm -f "$hc/counts"
	{
		run lint "$TOP/scripts/lint.sh" "$@"
		[ "${TM_NONOTIFIER:-1}" = 0 ] ||
			run nonotifier "$TOP/scripts/nonotifier-build.sh"
	} | "$TOP/scripts/ktap-summary.sh" --counts "$hc/counts" | tee "$hc/results.ktap"
	add "$hc/counts" "host checks"
	echo "host checks: $p passed, $f failed, $k skipped"
fi

counts=$TOP/build/check-counts
rm -f "$counts"
TM_KERNELS="$*" TM_COUNTS=$counts "$TOP/scripts/each-kernel.sh" check |
	sed '$d'	# its own totals line: ours, with the host checks, comes last
add "$counts" each-kernel.sh
[ -z "${TM_COUNTS:-}" ] || echo "$tp $tf $ts" > "$TM_COUNTS"
echo "$tp passed, $tf failed, $ts skipped"
[ "$tf" = 0 ] && [ "$tp" -gt 0 ]
