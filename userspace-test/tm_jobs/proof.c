// SPDX-License-Identifier: GPL-2.0
/*
 * tm_jobs: access_after_invalidate can count. With the module parameter
 * job_skip_inval_wait=1 the invalidation callback does not wait for the
 * engine (pre-validated model) or for its TLB flush's acknowledgement
 * (fault model), so a STREAM racing munmap goes on reading a page after
 * the invalidation that removed its entry returned: the counter must see
 * it within ROUNDS rounds (pre-validated model) or FAULT_ROUNDS (the fault
 * model, whose window is narrower: see there). (Every other test asserts
 * it stays 0.) The STREAM reads, so that the engine only reads the pages
 * munmap freed. The parameter is put back to 0 whatever happens to the
 * racing child.
 */
#include <inttypes.h>
#include <stdio.h>

#include "tm_jobs.h"

/*
 * Rounds before giving up. The pre-validated model's callback waits for the
 * access in flight, after the early record: it counts in the first round.
 * In the fault model nothing waits for the access once the early record is
 * made (the acknowledgment is not waited for): only an access that opened
 * before munmap's removal and is still open at the record counts, a window
 * of microseconds. Measured on 6.1, the test alone in 36 boots: 26 counts in
 * 1505 rounds (about 1 in 60), and 40 rounds missed in 10 boots of 24, one
 * boot needing 302. 1000 rounds miss with a probability below 1 in 10^5;
 * they stop at the first count (about 30 ms a round on 6.1). On 6.12 the
 * first round counted in 12 boots of 12: why 6.1 differs is not known.
 */
#define ROUNDS		40
#define FAULT_ROUNDS	1000

/*
 * Rounds of a reading STREAM of either model racing munmap of its whole
 * range, until access_after_invalidate counts; each job fails with
 * -EFAULT.
 */
static void race_unmap_model(int f, bool faultable)
{
	struct drm_test_mirror_ufence *uf = UFENCES(f, true);
	struct drm_test_mirror_stats st;
	unsigned int i, rounds = faultable ? FAULT_ROUNDS : ROUNDS;
	uint64_t seen = 0, t0, t1;
	int err;

	for (i = 0; i < rounds && !seen; i++) {
		uint8_t *buf = tm_must_map_pattern(NJ * 8, SEED_A);
		uint32_t h = tm_must_bind(f, buf, SZ(NJ * 8), RO), out = 0;

		if (faultable)
			FSTREAM_R(f, buf, NJ * 8, LONG_MS, &uf[i % UF_PER_PAGE],
				  SEQ_A + i);
		else
			out = STREAM_R(f, buf, NJ * 8, LONG_MS);
		tm_sleep_ms(20 + 10 * (i % 4));
		t0 = tm_now_ns();
		ASSERT_OK(tm_unmap(buf, NJ * 8));
		t1 = tm_now_ns();
		if (faultable)
			err = UFENCE(f, &uf[i % UF_PER_PAGE], SEQ_A + i, 2000);
		else
			err = FENCE(f, out, 2000);
		ASSERT_EQ(err, -EFAULT);
		ASSERT_OK(tm_unbind(f, h));
		seen = STATS(f).access_after_invalidate;
		tm_diag("round %u: munmap %.3f ms, access_after_invalidate %" PRIu64,
			i + 1, MS(t1 - t0), seen);
	}
	ASSERT_GT(seen, 0);
	st = STATS(f);
	ASSERT_EQ(st.jobs_submitted, i);
	ASSERT_EQ(st.jobs_completed, 0);
	ASSERT_EQ(st.jobs_failed, i);
}

static void race_unmap(int f)
{
	race_unmap_model(f, false);
}

static void race_unmap_faultable(int f)
{
	race_unmap_model(f, true);
}

/* Run fn with job_skip_inval_wait=1: the switch exists, is off after. */
static void with_skip_inval_wait(void (*fn)(int))
{
	uint64_t v = 1;

	ASSERT_OK(tm_param_get("job_skip_inval_wait", &v));
	ASSERT_EQ(v, 0);
	tm_with_param("job_skip_inval_wait", "1", fn);
	ASSERT_OK(tm_param_get("job_skip_inval_wait", &v));
	ASSERT_EQ(v, 0);
}

TEST_OPTS(access_after_invalidate_can_count, 0, 120)
{
	with_skip_inval_wait(race_unmap);
}

/*
 * The same in the fault model: the invalidation declares itself complete
 * before the engine acknowledged its TLB flush, and the engine's access in
 * flight is seen after it.
 */
TEST_OPTS(fault_access_after_invalidate_can_count, 0, 120)
{
	with_skip_inval_wait(race_unmap_faultable);
}

/*
 * Since the module was loaded, every file of every program together: no
 * engine access outlived the invalidation of its page, apart from those the
 * debug switch provoked (debugfs "engine" counts them apart). The suite
 * runs this after the fuzzer and the race stress, so that it covers the
 * whole run (scripts/suite.txt).
 */
TEST(engine_never_late_since_load)
{
	struct engine_totals t = ENGINE_TOTALS();

	tm_diag("since load: %llu jobs, %llu engine accesses after an invalidation (%llu provoked by job_skip_inval_wait)",
		t.jobs, t.late, t.early);
	tm_diag("of which %llu fault-model jobs: %llu device faults, %llu TLB invalidations acknowledged, %llu non-blockable callbacks returned false awaiting one",
		t.fault_jobs, t.device_faults, t.tlb_flushes,
		t.nonblock_ack_pending);
	ASSERT_EQ(t.late, 0);
}
