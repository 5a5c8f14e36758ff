// SPDX-License-Identifier: GPL-2.0
/*
 * tm_tests: STATS and EVENTS. STATS of a fresh file, its reset, its bad
 * arguments, the event-aware capability; the event log's records (seq and
 * fields), consuming them (an EVENTS that cannot copy consumes nothing),
 * records lost when the log overflows, bad arguments; an unknown ioctl.
 */
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include "tm_tests.h"

TEST(stats_reset_zeroes_counters)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	struct drm_test_mirror_stats st;
	unsigned int i;

	tm_must_bind(fd, buf, SZ(N), RW);
	DEV_READ(fd, buf, N, -1, 0, SEED_A);
	ASSERT_SYS(madvise(PG(buf, 0), SZ(1), MADV_DONTNEED));
	ASSERT_OK(tm_stats(fd, &st, true));
	ASSERT_EQ(st.read_faults, 1);
	ASSERT_EQ(st.faulted_pages, N);
	ASSERT_EQ(st.events[EV_CLEAR], 1);
	ASSERT_EQ(st.entries_invalidated, 1);
	ASSERT_OK(tm_stats(fd, &st, false));
	ASSERT_EQ(st.read_faults, 0);
	ASSERT_EQ(st.write_faults, 0);
	ASSERT_EQ(st.faulted_pages, 0);
	ASSERT_EQ(st.entries_invalidated, 0);
	for (i = 0; i < TEST_MIRROR_EVENT_MAX; i++)
		ASSERT_EQ(st.events[i], 0);
	/* the "now" values are not counters */
	ASSERT_EQ(st.bindings, 1);
	ASSERT_EQ(st.entries_present, N - 1);
	ASSERT_GT(st.table_bytes, 0);
	ASSERT_TRUE(st.caps & TEST_MIRROR_CAP_EVENT_AWARE);
}

TEST(stats_args)
{
	struct drm_test_mirror_stats st;

	memset(&st, 0, sizeof(st));
	st.flags = 1u << 1;
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_STATS, &st), -EINVAL);
	st.flags = 1u << 31;
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_STATS, &st), -EINVAL);
	/* the ioctl argument itself is a bad pointer */
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_STATS, NULL), -EFAULT);
}

TEST(stats_fresh_file_zero)
{
	struct drm_test_mirror_stats st;
	unsigned int i;

	tm_must_stats(fd, &st);
	for (i = 0; i < TEST_MIRROR_EVENT_MAX; i++)
		ASSERT_EQ(st.events[i], 0);
	ASSERT_EQ(st.read_faults, 0);
	ASSERT_EQ(st.write_faults, 0);
	ASSERT_EQ(st.faulted_pages, 0);
	ASSERT_EQ(st.entries_present, 0);
	ASSERT_EQ(st.bindings, 0);
	ASSERT_EQ(st.nonblock_calls, 0);
	ASSERT_EQ(st.devmem_to_device, 0);
	ASSERT_EQ(st.devmem_to_system, 0);
	ASSERT_EQ(st.atomics, 0);
	ASSERT_EQ(st.exclusive_grants, 0);
	ASSERT_EQ(st.exclusive_lost, 0);
	for (i = 0; i < ARRAY_SIZE(st.reserved); i++)
		ASSERT_EQ(st.reserved[i], 0);
}

TEST(caps_event_aware_matches_param)
{
	uint64_t aware;

	if (tm_param_get("event_aware", &aware))
		SKIP("event_aware parameter not readable");
	ASSERT_EQ(tm_has_cap(fd, TEST_MIRROR_CAP_EVENT_AWARE), aware);
}

TEST(events_seq_and_fields)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint32_t h = tm_must_bind(fd, buf, SZ(N), RW);
	struct tm_evlog *log;
	unsigned int i;

	DEV_READ(fd, buf, N, -1, 0, SEED_A);
	for (i = 0; i < N; i++)
		ASSERT_SYS(madvise(PG(buf, i), SZ(1), MADV_DONTNEED));
	log = tm_must_evlog(fd);
	EXPECT_NREC(log, N);
	ASSERT_EQ(log->lost, 0);
	for (i = 0; i < N; i++) {
		const struct drm_test_mirror_event *r = &log->rec[i];

		ASSERT_EQ(r->seq, i + 1);
		ASSERT_EQ(r->event, EV_CLEAR);
		ASSERT_EQ(r->action, ACT_INVAL);
		ASSERT_EQ(r->handle, h);
		ASSERT_EQ(r->start, ADDR(PG(buf, i)));
		ASSERT_EQ(r->end, ADDR(PG(buf, i + 1)));
		ASSERT_EQ(r->entries, 1);
		ASSERT_EQ(r->flags, TEST_MIRROR_EVENT_F_BLOCKABLE);
	}
}

TEST(events_consume_removes)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	struct drm_test_mirror_event rec[8];
	unsigned int n;
	uint64_t lost;

	tm_must_bind(fd, buf, SZ(N), RW);
	ASSERT_SYS(madvise(PG(buf, 0), SZ(1), MADV_DONTNEED));
	ASSERT_SYS(madvise(PG(buf, 1), SZ(1), MADV_DONTNEED));
	ASSERT_OK(tm_events(fd, rec, 8, false, &n, &lost));
	ASSERT_EQ(n, 2);
	ASSERT_OK(tm_events(fd, rec, 8, false, &n, &lost));
	ASSERT_EQ(n, 2);
	/* consume one: the oldest */
	ASSERT_OK(tm_events(fd, rec, 1, true, &n, &lost));
	ASSERT_EQ(n, 1);
	ASSERT_EQ(rec[0].seq, 1);
	ASSERT_OK(tm_events(fd, rec, 8, true, &n, &lost));
	ASSERT_EQ(n, 1);
	ASSERT_EQ(rec[0].seq, 2);
	ASSERT_OK(tm_events(fd, rec, 8, false, &n, &lost));
	ASSERT_EQ(n, 0);
	ASSERT_EQ(lost, 0);
}

/*
 * EVENTS with CONSUME into an array the kernel cannot write fails with
 * -EFAULT and consumes nothing: the next EVENTS returns the same records
 * and the same count of lost ones. The log is overfilled by one record
 * first, so that lost is not 0.
 */
TEST(events_consume_efault_keeps_records)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	struct tm_evlog *before, *after;
	struct drm_test_mirror_event *ro;
	uint64_t len, i, ro_pages;

	if (tm_param_get("event_log_len", &len))
		SKIP("event_log_len parameter not readable");
	if (len < 2 || len > TM_EVLOG_MAX)
		SKIP("event_log_len is %" PRIu64, len);
	tm_must_bind(fd, buf, SZ(N), RW);
	DEV_READ(fd, buf, N, -1, 0, SEED_A);
	for (i = 0; i < len; i++)
		ASSERT_SYS(madvise(PG(buf, 0), SZ(1), MADV_DONTNEED));
	ASSERT_SYS(mprotect(buf, SZ(N), PROT_READ));
	before = tm_must_evlog(fd);
	ASSERT_EQ(before->n, len);
	ASSERT_EQ(before->lost, 1);
	ASSERT_EQ(before->rec[len - 1].event, EV_PVMA);
	ro_pages = (len * sizeof(*ro) + PAGE_SZ - 1) / PAGE_SZ;
	ro = tm_must_map(ro_pages, PROT_READ);
	ASSERT_ERRNO(tm_events(fd, ro, len, true, NULL, NULL), -EFAULT);
	after = tm_must_evlog(fd);
	ASSERT_EQ(after->n, before->n);
	ASSERT_EQ(after->lost, before->lost);
	for (i = 0; i < len; i++) {
		ASSERT_EQ(after->rec[i].seq, before->rec[i].seq);
		ASSERT_EQ(memcmp(&after->rec[i], &before->rec[i],
				 sizeof(after->rec[i])), 0);
	}
}

TEST(events_lost_when_log_overflows)
{
	uint8_t *buf = tm_must_map_pattern(1, SEED_A);
	struct tm_evlog *log;
	uint64_t len, i;

	if (tm_param_get("event_log_len", &len))
		SKIP("event_log_len parameter not readable");
	if (len == 0 || len + 10 > TM_EVLOG_MAX)
		SKIP("event_log_len is %" PRIu64, len);
	tm_must_bind(fd, buf, SZ(1), RW);
	for (i = 0; i < len + 10; i++)
		ASSERT_SYS(madvise(buf, SZ(1), MADV_DONTNEED));
	log = tm_must_evlog(fd);
	ASSERT_EQ(log->n, len);
	ASSERT_EQ(log->lost, 10);
	/* the newest records were kept */
	ASSERT_EQ(log->rec[0].seq, 11);
	ASSERT_EQ(log->rec[len - 1].seq, len + 10);
}

TEST(events_args)
{
	uint8_t *buf = tm_must_map_pattern(1, SEED_A);
	struct drm_test_mirror_event rec[4];
	struct drm_test_mirror_events a;
	const struct drm_test_mirror_events ok = {
		.ptr = ADDR(rec), .count = 4,
	};

	tm_must_bind(fd, buf, SZ(1), RW);
	/* one record in the log, so that a copy is attempted */
	ASSERT_SYS(madvise(buf, SZ(1), MADV_DONTNEED));
	a = ok;
	a.flags = 1u << 1;
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_EVENTS, &a), -EINVAL);
	a = ok;
	a.reserved = 1;
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_EVENTS, &a), -EINVAL);
	a = ok;
	a.ptr = 0;
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_EVENTS, &a), -EFAULT);
	a = ok;
	a.ptr = ADDR(KERNEL_ADDR);
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_EVENTS, &a), -EFAULT);
	a = ok;
	ASSERT_OK(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_EVENTS, &a));
	ASSERT_EQ(a.count, 1);
}

TEST(unknown_ioctl_einval)
{
	char arg[64] = { 0 };

	ASSERT_ERRNO(tm_ioctl(fd, TEST_MIRROR_IOWR(0x07, char[64]), arg),
		     -EINVAL);
	ASSERT_ERRNO(tm_ioctl(fd, TEST_MIRROR_IOWR(0x3f, char[64]), arg),
		     -EINVAL);
}
