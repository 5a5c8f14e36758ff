#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh [ARGS...]: boot Debian's 6.1 kernel under qemu and run
# /usr/bin/tm_demo ARGS in it; its output is printed as it comes.
# TM_DEMO_KERNEL=6.12 runs it on the other kernel.

set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
exec "$TOP/scripts/vm-run.sh" "${TM_DEMO_KERNEL:-6.1}" demo "$@"
