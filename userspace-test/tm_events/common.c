// SPDX-License-Identifier: GPL-2.0
/*
 * tm_events: what the tests of every file share: the start of each test
 * (setup(), SETUP()), which checks that the module runs the event-aware
 * policy, notes what this kernel does (vma_dg, uffd_faults: this file owns
 * them, each test's child sets them) and empties the event log; and the
 * wait for the UNMAP work item.
 */
#include <stdio.h>

#include "tm_events.h"

/* PROTECTION_VMA keeps read-only entries on this kernel (6.1). */
bool vma_dg;
/* Device faults ask userfaultfd handlers on this kernel (7.3). */
bool uffd_faults;

/*
 * Every test starts here: the file must use the event-aware policy; note
 * what PROTECTION_VMA does on this kernel; start from an empty event log.
 */
void setup(int fd, const char *name)
{
	struct drm_test_mirror_stats st;
	char msg[128];

	/* A marker in the kernel log, to match a splat with its test. */
	snprintf(msg, sizeof(msg), "tm_events: %s\n", name);
	tm_write_str("/dev/kmsg", msg);

	tm_must_stats(fd, &st);
	if (!(st.caps & TEST_MIRROR_CAP_EVENT_AWARE))
		SKIP("the module runs the event-blind policy (event_aware=N); "
		     "these tests assert the event-aware one");
	vma_dg = st.caps & TEST_MIRROR_CAP_VMA_DOWNGRADE;
	uffd_faults = st.caps & TEST_MIRROR_CAP_UFFD_FAULTS;
	ASSERT_OK(tm_evlog_drain(fd));
}

/* Wait (bounded) for the UNMAP work item to drop n pages. */
void wait_pages_dropped(int fd, uint64_t n)
{
	uint64_t end = tm_now_ms() + 5000;
	struct drm_test_mirror_stats st;

	for (;;) {
		st = STATS(fd);
		if (st.pages_dropped >= n || tm_now_ms() > end)
			break;
		tm_sleep_ms(10);
	}
	ASSERT_EQ(st.pages_dropped, n);
}
