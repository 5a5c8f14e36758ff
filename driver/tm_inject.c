// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: fault injection for tests.
 */

/**
 * DOC: Fault injection
 *
 * Some failure paths can only be reached when an allocation fails at one
 * precise moment in a kernel worker. Tests reach them deterministically
 * through debugfs (root only), /sys/kernel/debug/test_mirror/:
 *
 * fail_split
 *	Writing 1 arms it: the next time the UNMAP work item splits a segment
 *	into two or more, it inserts the first new segment's notifier, waits
 *	(up to 10 s) until an UNMAP has cut that new segment, and then fails
 *	the second new segment as if kmalloc() had. The split is rolled back:
 *	the old segment stays with its cuts, and the work item tries again on
 *	the next UNMAP. Reading the file tells where it is: "off", "armed",
 *	"waiting" (a test may now unmap a page of the first new segment),
 *	"fired" (it failed after that cut) or "timeout" (it failed without
 *	it). Writing 0 disarms it.
 */

#include <linux/atomic.h>

#include "tm_inject.h"

enum tm_inject_state {
	TM_INJECT_OFF,
	TM_INJECT_ARMED,
	TM_INJECT_WAITING,
	TM_INJECT_FIRED,
	TM_INJECT_TIMEOUT,
};

static atomic_t tm_inject_split = ATOMIC_INIT(TM_INJECT_OFF);

/**
 * tm_inject_split_begin - should this split fail?
 *
 * Return: true, once per arming: the caller waits for its cut and then
 * calls tm_inject_split_end().
 */
bool tm_inject_split_begin(void)
{
	return atomic_cmpxchg(&tm_inject_split, TM_INJECT_ARMED,
			      TM_INJECT_WAITING) == TM_INJECT_ARMED;
}

/**
 * tm_inject_split_end - the injected failure happens now
 * @cut: the first new segment had been cut by an UNMAP
 */
void tm_inject_split_end(bool cut)
{
	atomic_set(&tm_inject_split, cut ? TM_INJECT_FIRED : TM_INJECT_TIMEOUT);
}

/**
 * tm_inject_split_state - the state, as debugfs shows it
 *
 * Return: "off", "armed", "waiting", "fired" or "timeout".
 */
const char *tm_inject_split_state(void)
{
	static const char * const names[] = {
		[TM_INJECT_OFF] = "off",
		[TM_INJECT_ARMED] = "armed",
		[TM_INJECT_WAITING] = "waiting",
		[TM_INJECT_FIRED] = "fired",
		[TM_INJECT_TIMEOUT] = "timeout",
	};

	return names[atomic_read(&tm_inject_split)];
}

/**
 * tm_inject_split_arm - arm or disarm the injection
 * @on: arm
 */
void tm_inject_split_arm(bool on)
{
	atomic_set(&tm_inject_split, on ? TM_INJECT_ARMED : TM_INJECT_OFF);
}
