// SPDX-License-Identifier: GPL-2.0
/*
 * tm_events: the driver's test_mirror:tm_invalidate tracepoint reports the
 * same callbacks as the EVENTS log. exit.c relies on it to observe the
 * callbacks of an address space that no task can call an ioctl from.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "tm_events.h"

/* The tracepoint reports the same callbacks as the EVENTS log. */
TEST(trace_matches_event_log)
{
	const size_t n = 8;
	uint8_t *p = tm_must_map_pattern(n, 1);
	struct tm_trace_rec *r = calloc(PROBE_MAX, sizeof(*r));
	struct tm_evlog *log;
	unsigned int i;
	int np, k = 0;

	SETUP(fd);
	ASSERT_TRUE(r != NULL);
	tm_must_bind(fd, p, SZ(n), RWP);
	tm_trace_start();
	/* (tm_trace_start() forks: PROTECTION_PAGE, before the probe is on) */
	ASSERT_OK(tm_evlog_drain(fd));
	ASSERT_SYS(madvise(PG(p, 1), SZ(1), MADV_DONTNEED));
	ASSERT_SYS(mprotect(PG(p, 2), SZ(2), PROT_READ));
	ASSERT_SYS(munmap(PG(p, 5), SZ(2)));
	log = EV_TAKE(fd);
	np = tm_trace_read(r, PROBE_MAX);
	tm_trace_print(r, np);
	ASSERT_GE(log->n, 3);
	ASSERT_EQ((unsigned int)np, log->n);
	for (i = 0; i < log->n; i++, k++) {
		const struct drm_test_mirror_event *e = &log->rec[i];

		if (r[k].ev != e->event || r[k].start != e->start ||
		    r[k].handle != e->handle ||
		    r[k].end != e->end || r[k].act != e->action ||
		    r[k].ent != e->entries ||
		    !!(r[k].fl & 1) != !!(e->flags & TEST_MIRROR_EVENT_F_BLOCKABLE))
			FAIL("trace record %d differs from log record %u", k, i);
	}
}
