#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lifecycle.sh [SERIES...]   (default: 6.1 6.12)
#
# The long lifecycle run (userspace-test/tm_life.c) on each Debian kernel:
# every lifecycle, isolation and bounded-resource test with TM_LIFE_OOM OOM
# kills, then TM_LIFE_CYCLES unload/load cycles of the module (which must run
# alone: nothing else holds the device in this VM). Results in
# build/<krel>/results/cmd/.
#
# Environment: TM_LIFE_OOM (default 100), TM_LIFE_CYCLES (default 1000),
# TM_TIMEOUT (default 1800), TM_MODPARAMS.
#
# Exit status 0 iff nothing failed. Last line "N passed, N failed, N skipped".

set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- 6.1 6.12
oom=${TM_LIFE_OOM:-100}
cycles=${TM_LIFE_CYCLES:-1000}
export TM_TIMEOUT=${TM_TIMEOUT:-1800}

tp=0 tf=0 ts=0
for s in "$@"; do
	krel=$("$TOP/scripts/kernels.sh" krel "$s") || { tf=$((tf + 1)); continue; }
	echo "== kernel $krel: tm_life --oom $oom, then tm_life --cycles $cycles =="
	counts=$TOP/build/$krel/results/cmd/counts
	rm -f "$counts"
	"$TOP/scripts/vm-run.sh" "$s" cmd \
		"/usr/bin/tm_life --oom $oom; r=\$?; /usr/bin/tm_life --cycles $cycles || r=1; exit \$r"
	if [ -s "$counts" ]; then read -r p f k < "$counts"; else p=0 f=1 k=0; fi
	tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + k))
done
echo "$tp passed, $tf failed, $ts skipped"
[ "$tf" = 0 ] && [ "$tp" -gt 0 ]
