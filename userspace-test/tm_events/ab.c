// SPDX-License-Identifier: GPL-2.0
/*
 * tm_events: the event-aware policy against the event-blind one, on the same
 * pages after a write-protect (mprotect, fork, clear_refs soft-dirty): the
 * blind one invalidates and the device refaults, the aware one keeps
 * read-only entries (but for mprotect where PROTECTION_VMA invalidates).
 */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tm_events.h"

enum wp_kind { WP_MPROTECT, WP_FORK, WP_SOFT_DIRTY };

/*
 * After a write-protect, count the device-read refaults with the aware
 * policy (fd) and with the blind one (self->bfd), both mirroring the same
 * pages: one body, a variant per kind of write-protect.
 */
FIXTURE(ab) {
	int bfd;	/* a file of the event-blind policy */
};

FIXTURE_VARIANT(ab) {
	enum wp_kind kind;
	const char *what;
};

FIXTURE_VARIANT_ADD(ab, mprotect) {
	.kind = WP_MPROTECT, .what = "mprotect(PROT_READ)",
};

FIXTURE_VARIANT_ADD(ab, fork) {
	.kind = WP_FORK, .what = "fork",
};

FIXTURE_VARIANT_ADD(ab, soft_dirty) {
	.kind = WP_SOFT_DIRTY, .what = "clear_refs soft-dirty",
};

FIXTURE_SETUP(ab)
{
	struct drm_test_mirror_stats st;

	self->bfd = -1;	/* nothing to close if setup() skips */
	setup(fd, "ab_write_protect_refaults");
	self->bfd = tm_must_open_blind();
	ASSERT_OK(tm_stats(self->bfd, &st, false));
	ASSERT_EQ(st.caps & TEST_MIRROR_CAP_EVENT_AWARE, 0);
}

FIXTURE_TEARDOWN(ab)
{
	if (self->bfd >= 0)
		close(self->bfd);
}

TEST_F(ab, ab_write_protect_refaults)
{
	const size_t n = 4;
	uint8_t *p = tm_must_map_pattern(n, 1);
	enum wp_kind kind = variant->kind;
	int bfd = self->bfd;
	struct tm_result ra, rb;
	struct tm_evlog *blog;
	uint32_t ha, hb;
	pid_t pid = 0;
	long want;

	ha = tm_must_bind(fd, p, SZ(n), RWP);
	hb = tm_must_bind(bfd, p, SZ(n), RWP);
	ASSERT_OK(tm_evlog_drain(fd));
	ASSERT_OK(tm_evlog_drain(bfd));
	switch (kind) {
	case WP_MPROTECT:
		ASSERT_SYS(mprotect(p, SZ(n), PROT_READ));
		break;
	case WP_FORK:
		pid = tm_fork();
		if (pid == 0) {
			tm_sleep_ms(100000);
			_exit(0);
		}
		break;
	case WP_SOFT_DIRTY:
		ASSERT_OK(tm_write_str("/proc/self/clear_refs", "4"));
		break;
	}
	want = kind == WP_MPROTECT && !vma_dg ? 1 : 0;
	ra = DEV_READ(fd, p, n, want, 0, 1);
	rb = DEV_READ(bfd, p, n, 1, 0, 1);
	blog = tm_evlog_new();
	ASSERT_OK(tm_evlog_read(bfd, blog, true));
	EXPECT_EV(blog, kind == WP_MPROTECT ? EV_PVMA :
		  kind == WP_FORK ? EV_PPAGE : EV_SDIRTY, hb, p, PG(p, n),
		  BIT(ACT_INVAL));
	tm_diag("%s: device-read refaults: aware %" PRIu64 ", blind %" PRIu64,
		variant->what, ra.faults, rb.faults);
	if (pid) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	ASSERT_OK(tm_unbind(fd, ha));
	ASSERT_OK(tm_unbind(bfd, hb));
	free(blog);
	munmap(p, SZ(n));
}
