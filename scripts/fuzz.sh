#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz.sh [SERIES...]   (default: 6.1 6.12)
#
# The long ioctl fuzz (userspace-test/tm_fuzz.c) on each Debian kernel:
# scripts/vm-run.sh SERIES fuzz --seed SEED --calls CALLS, i.e. every
# front-end, every call class, the whole oracle, and the host-side check of
# the guest kernel log for splats. Results in build/<krel>/results/fuzz/.
#
# Environment:
#   TM_FUZZ_SEED=N    seed (default 1); a failure is reproduced by the same
#                     seed and call count (and tm_fuzz -t <test> in the guest)
#   TM_FUZZ_CALLS=N   ioctl calls per kernel (default 1000000: tm_fuzz took
#                     11-16 min in the guest per kernel, 100,000 calls 1-1.5
#                     min, measured on a busy 2-core host with single-threaded
#                     TCG; an idle host is faster)
#   TM_TIMEOUT=S      whole-VM bound (default 3600)
#   TM_MODPARAMS=...  test_mirror module parameters (e.g. event_aware=N)
#
# Exit status 0 iff nothing failed on any kernel. The last line is
# "N passed, N failed, N skipped".

set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- 6.1 6.12
seed=${TM_FUZZ_SEED:-1}
calls=${TM_FUZZ_CALLS:-1000000}
export TM_TIMEOUT=${TM_TIMEOUT:-3600}

tp=0 tf=0 ts=0
for s in "$@"; do
	krel=$("$TOP/scripts/kernels.sh" krel "$s") || { tf=$((tf + 1)); continue; }
	echo "== kernel $krel: tm_fuzz --seed $seed --calls $calls =="
	counts=$TOP/build/$krel/results/fuzz/counts
	rm -f "$counts"
	"$TOP/scripts/vm-run.sh" "$s" fuzz --seed "$seed" --calls "$calls"
	if [ -s "$counts" ]; then read -r p f k < "$counts"; else p=0 f=1 k=0; fi
	grep -h "tm_fuzz total:" "$TOP/build/$krel/results/fuzz/output.log" 2>/dev/null
	tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + k))
done
echo "$tp passed, $tf failed, $ts skipped"
[ "$tf" = 0 ] && [ "$tp" -gt 0 ]
