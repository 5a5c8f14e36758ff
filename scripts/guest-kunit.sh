#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tm_kunit (in the guest): load test_mirror_kunit.ko, whose KUnit suites
# (the device table, cut arrays, the event policy) run as it loads, and
# report each case as one flat KTAP result "ok N <suite>: <case>", read
# from /sys/kernel/debug/kunit/<suite>/results; then unload it. The module
# is built only for a kernel with CONFIG_KUNIT (the debug lane's): on
# another kernel this prints one skipped result.

mod=/lib/modules/$(uname -r)/extra/test_mirror_kunit.ko
echo "TAP version 13"
if [ ! -f "$mod" ]; then
	echo "1..1"
	echo "ok 1 KUnit suites # SKIP $(uname -r) has no CONFIG_KUNIT (make check-debug runs them)"
	exit 0
fi
if ! insmod "$mod"; then
	echo "1..1"
	echo "not ok 1 insmod test_mirror_kunit.ko"
	exit 1
fi
out=$(for d in /sys/kernel/debug/kunit/test_mirror_*; do
	[ -f "$d/results" ] || continue
	suite=${d##*/}
	# case lines are indented once; deeper lines are their diagnostics
	sed -n "s/^    ok [0-9]* \(.*\)/ok $suite: \1/p;
		s/^    not ok [0-9]* \(.*\)/not ok $suite: \1/p;
		s/^    \(    \)*# \(.*\)/# $suite: \2/p" "$d/results"
done)
rmmod test_mirror_kunit
n=$(printf '%s\n' "$out" | grep -cE '^(ok|not ok) ')
if [ "$n" = 0 ]; then
	echo "1..1"
	echo "not ok 1 KUnit suites: no results under /sys/kernel/debug/kunit"
	exit 1
fi
echo "1..$n"
printf '%s\n' "$out" | awk '/^(ok|not ok) / { k++; sub(/^ok /, "ok " k " "); sub(/^not ok /, "not ok " k " ") } { print }'
printf '%s\n' "$out" | grep -q '^not ok ' && exit 1
exit 0
