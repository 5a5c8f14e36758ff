#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stress.sh [SERIES...]   (default: 6.1 6.12)
#
# The long race stress (userspace-test/tm_stress.c) on each Debian kernel:
# scripts/vm-run.sh SERIES stress --seconds SECONDS --seed SEED, then the
# host-side check of the guest kernel log for splats. Results in
# build/<krel>/results/stress/.
#
# Environment:
#   TM_STRESS_SECONDS=N   race duration per kernel (default 600)
#   TM_STRESS_SEED=N      seed of the threads' choices (default 1; thread
#                         interleavings are not reproducible, the op mix is)
#   TM_TIMEOUT=S          whole-VM bound (default: SECONDS + 600)
#   TM_MODPARAMS=...      module parameters (event_aware=N: the blind policy)
#
# Exit status 0 iff nothing failed. Last line "N passed, N failed, N skipped".

set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- 6.1 6.12
secs=${TM_STRESS_SECONDS:-600}
seed=${TM_STRESS_SEED:-1}
export TM_TIMEOUT=${TM_TIMEOUT:-$((secs + 600))}

tp=0 tf=0 ts=0
for s in "$@"; do
	krel=$("$TOP/scripts/kernels.sh" krel "$s") || { tf=$((tf + 1)); continue; }
	echo "== kernel $krel: tm_stress --seconds $secs --seed $seed =="
	counts=$TOP/build/$krel/results/stress/counts
	rm -f "$counts"
	"$TOP/scripts/vm-run.sh" "$s" stress --seconds "$secs" --seed "$seed"
	if [ -s "$counts" ]; then read -r p f k < "$counts"; else p=0 f=1 k=0; fi
	grep -h "tm_stress totals:" "$TOP/build/$krel/results/stress/output.log" 2>/dev/null
	tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + k))
done
echo "$tp passed, $tf failed, $ts skipped"
[ "$tf" = 0 ] && [ "$tp" -gt 0 ]
