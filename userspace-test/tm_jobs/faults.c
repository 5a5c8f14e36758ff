// SPDX-License-Identifier: GPL-2.0
/*
 * tm_jobs: fault-model jobs (TEST_MIRROR_SUBMIT_FAULTABLE) on bound memory
 * the device has no entry for yet, memory the CPU never touched among it:
 * exact data, the user fence {seqno, error 0, pad 0}, and exact fault
 * counters. Each range's pages are faulted in batches of the module
 * parameter fault_batch_pages (B) pages of that range, so a job over N
 * pages raises ceil(N / B) device faults per range (one batch each, every
 * page of the range faulted once), and none once its entries are there; a
 * user fence whose page has no entry raises one more (its binding is one
 * page). Run with B = 1 and B = 16 (the default), set for the test and put
 * back after it, whatever happens.
 */
#include <sys/mman.h>

#include "tm_jobs.h"

#define NF	20u	/* pages of a range: one batch and a bit with B = 16 */

/* B of the running variant (the test's child inherits it). */
static unsigned int batch;

/* Device faults for one range of n pages. */
static uint64_t faults_for(size_t n)
{
	return (n + batch - 1) / batch;
}

/*
 * The counters of f are exactly: faults device faults, as many batches,
 * pages faulted pages; and no invalidation cost a TLB flush.
 */
static void expect_faults_at(int f, uint64_t faults, uint64_t pages,
			     const char *file, int line)
{
	struct fcount c = fcount_at(f, file, line);

	if (c.device_faults != faults || c.fault_batches != faults ||
	    c.fault_pages != pages) {
		fcount_diag("counters", &c);
		tm_fail(file, line,
			"with fault_batch_pages %u: expected %llu device faults, as many batches, %llu pages faulted",
			batch, (unsigned long long)faults,
			(unsigned long long)pages);
	}
}

#define EXPECT_FAULTS(f, faults, pages) \
	expect_faults_at(f, faults, pages, __FILE__, __LINE__)

/*
 * COPY of NF pages the CPU wrote (read faults) to NF pages it never touched
 * (write faults): the copy is exact, 2 * ceil(NF / B) faults, 2 * NF pages
 * faulted and counted by the engine. Then COPY from NF untouched pages (the
 * zero page, read) over NF pages the CPU wrote: they read zeros after.
 */
static void copy_untouched(int f)
{
	struct drm_test_mirror_ufence *uf = UFENCES(f, true);
	uint8_t *src = tm_must_map_pattern(NF, SEED_A);
	uint8_t *dst = tm_must_map(NF, PROT_READ | PROT_WRITE);
	uint8_t *zsrc = tm_must_map(NF, PROT_READ | PROT_WRITE);
	uint8_t *zdst = tm_must_map_pattern(NF, SEED_B);

	tm_must_bind(f, src, SZ(NF), RO);
	tm_must_bind(f, dst, SZ(NF), RW);
	tm_must_bind(f, zsrc, SZ(NF), RO);
	tm_must_bind(f, zdst, SZ(NF), RW);
	FJOB(f, JOB_COPY, src, dst, SZ(NF), 0, 0, &uf[0], SEQ_A);
	ASSERT_EQ(UFENCE(f, &uf[0], SEQ_A, 5000), 0);
	ASSERT_PATTERN(dst, SZ(NF), SEED_A);
	ASSERT_PATTERN(src, SZ(NF), SEED_A);
	EXPECT_FAULTS(f, 2 * faults_for(NF), 2 * NF);
	EXPECT_JOBS(f, 1, 1, 0);
	ASSERT_EQ(STATS(f).job_pages, 2 * NF);

	FJOB(f, JOB_COPY, zsrc, zdst, SZ(NF), 0, 0, &uf[1], SEQ_B);
	ASSERT_EQ(UFENCE(f, &uf[1], SEQ_B, 5000), 0);
	ASSERT_ZERO_MEM(zdst, SZ(NF));
	EXPECT_FAULTS(f, 4 * faults_for(NF), 4 * NF);
	EXPECT_JOBS(f, 2, 2, 0);
	ASSERT_EQ(STATS(f).job_pages, 4 * NF);
}

/*
 * FILL of pages 1 to NF of NF + 2 untouched pages, with a user fence whose
 * page has no entry either: every word of the range holds the value, the
 * neighbours were neither written nor faulted (a batch stays in its
 * range), ceil(NF / B) + 1 faults, NF + 1 pages.
 */
static void fill_untouched(int f)
{
	struct drm_test_mirror_ufence *uf = UFENCES(f, false);
	uint8_t *dst = tm_must_map(NF + 2, PROT_READ | PROT_WRITE);

	tm_must_bind(f, dst, SZ(NF + 2), RW);
	FJOB(f, JOB_FILL, NULL, PG(dst, 1), SZ(NF), VAL_A, 0, &uf[0], SEQ_A);
	ASSERT_EQ(UFENCE(f, &uf[0], SEQ_A, 5000), 0);
	ASSERT_WORDS(PG(dst, 1), SZ(NF), VAL_A);
	ASSERT_EQ(SNAP_COUNT(f, PG(dst, 1), NF, TEST_MIRROR_SNAP_WRITE), NF);
	ASSERT_EQ(SNAP_COUNT(f, dst, 1, TEST_MIRROR_SNAP_NONE), 1);
	ASSERT_EQ(SNAP_COUNT(f, PG(dst, NF + 1), 1, TEST_MIRROR_SNAP_NONE), 1);
	ASSERT_ZERO_MEM(dst, SZ(1));
	ASSERT_ZERO_MEM(PG(dst, NF + 1), SZ(1));
	EXPECT_FAULTS(f, faults_for(NF) + 1, NF + 1);
	EXPECT_JOBS(f, 1, 1, 0);
	ASSERT_EQ(STATS(f).job_pages, NF);
}

/*
 * ATOMIC on NF untouched pages: every word is VAL_ADD, ceil(NF / B) write
 * faults. A second ATOMIC finds every entry there: no fault, every word
 * twice VAL_ADD. On NF pages the CPU wrote (word i: i * 0x10001): each
 * word plus VAL_ADD.
 */
static void atomic_untouched(int f)
{
	struct drm_test_mirror_ufence *uf = UFENCES(f, true);
	uint64_t *w = tm_must_map(NF, PROT_READ | PROT_WRITE);
	uint64_t *c = tm_must_map(NF, PROT_READ | PROT_WRITE);
	size_t i, nw = SZ(NF) / 8;

	for (i = 0; i < nw; i++)
		c[i] = i * 0x10001;
	tm_must_bind(f, w, SZ(NF), RW);
	tm_must_bind(f, c, SZ(NF), RW);
	FJOB(f, JOB_ATOMIC, NULL, w, SZ(NF), VAL_ADD, 0, &uf[0], SEQ_A);
	ASSERT_EQ(UFENCE(f, &uf[0], SEQ_A, 5000), 0);
	ASSERT_WORDS(w, SZ(NF), VAL_ADD);
	EXPECT_FAULTS(f, faults_for(NF), NF);
	FJOB(f, JOB_ATOMIC, NULL, w, SZ(NF), VAL_ADD, 0, &uf[1], SEQ_B);
	ASSERT_EQ(UFENCE(f, &uf[1], SEQ_B, 5000), 0);
	ASSERT_WORDS(w, SZ(NF), 2 * VAL_ADD);
	EXPECT_FAULTS(f, faults_for(NF), NF);
	FJOB(f, JOB_ATOMIC, NULL, c, SZ(NF), VAL_ADD, 0, &uf[2], SEQ_A);
	ASSERT_EQ(UFENCE(f, &uf[2], SEQ_A, 5000), 0);
	for (i = 0; i < nw; i++)
		if (c[i] != i * 0x10001 + VAL_ADD)
			FAIL("word %zu is 0x%llx, expected 0x%llx", i,
			     (unsigned long long)c[i],
			     (unsigned long long)(i * 0x10001 + VAL_ADD));
	EXPECT_FAULTS(f, 2 * faults_for(NF), 2 * NF);
	EXPECT_JOBS(f, 3, 3, 0);
	ASSERT_EQ(STATS(f).job_pages, 3 * NF);
}

/*
 * A writing STREAM of 100 ms over NF untouched pages: it runs its
 * duration, leaves its value in every word, and faults only on its first
 * pass (ceil(NF / B)); a reading one of 100 ms over NF untouched pages
 * reads zeros and changes nothing (ceil(NF / B) more).
 */
static void stream_untouched(int f)
{
	struct drm_test_mirror_ufence *uf = UFENCES(f, true);
	uint8_t *dst = tm_must_map(NF, PROT_READ | PROT_WRITE);
	uint8_t *src = tm_must_map(NF, PROT_READ | PROT_WRITE);
	uint64_t t0, t1;

	tm_must_bind(f, dst, SZ(NF), RW);
	tm_must_bind(f, src, SZ(NF), RO);
	t0 = tm_now_ns();
	FSTREAM_W(f, dst, NF, VAL_B, 100, &uf[0], SEQ_A);
	ASSERT_EQ(UFENCE(f, &uf[0], SEQ_A, 5000), 0);
	t1 = tm_now_ns();
	tm_diag("a fault-model STREAM of 100 ms ended %.1f ms after SUBMIT",
		MS(t1 - t0));
	ASSERT_GE(t1 - t0, 100ull * 1000000);
	ASSERT_WORDS(dst, SZ(NF), VAL_B);
	EXPECT_FAULTS(f, faults_for(NF), NF);
	ASSERT_GE(STATS(f).job_pages, NF);

	FSTREAM_R(f, src, NF, 100, &uf[1], SEQ_B);
	ASSERT_EQ(UFENCE(f, &uf[1], SEQ_B, 5000), 0);
	ASSERT_ZERO_MEM(src, SZ(NF));
	EXPECT_FAULTS(f, 2 * faults_for(NF), 2 * NF);
	EXPECT_JOBS(f, 2, 2, 0);
}

FIXTURE(batch) {};

FIXTURE_VARIANT(batch) {
	unsigned int pages;
	const char *val;
};

FIXTURE_VARIANT_ADD(batch, b1) { .pages = 1, .val = "1" };
FIXTURE_VARIANT_ADD(batch, b16) { .pages = 16, .val = "16" };

/* The body of the running variant. */
static void (*batch_body)(int f);

/* It runs on a file opened once the parameter is set. */
static void batch_child(int before)
{
	(void)before;
	batch_body(tm_must_open());
}

/*
 * Run fn with fault_batch_pages set as the variant says; the parameter
 * exists and is at its default, before and after.
 */
static void with_batch(const struct tm_variant_batch *variant, void (*fn)(int))
{
	uint64_t v = 0;

	ASSERT_OK(tm_param_get("fault_batch_pages", &v));
	ASSERT_EQ(v, 16);
	batch = variant->pages;
	batch_body = fn;
	tm_with_param("fault_batch_pages", variant->val, batch_child);
	ASSERT_OK(tm_param_get("fault_batch_pages", &v));
	ASSERT_EQ(v, 16);
}

TEST_F(batch, fault_copy_untouched)
{
	with_batch(variant, copy_untouched);
}

TEST_F(batch, fault_fill_untouched)
{
	with_batch(variant, fill_untouched);
}

TEST_F(batch, fault_atomic_untouched)
{
	with_batch(variant, atomic_untouched);
}

TEST_F(batch, fault_stream_untouched)
{
	with_batch(variant, stream_untouched);
}

/*
 * The fault engine runs a file's jobs in order: a FILL, then a COPY of
 * what it filled, submitted at once; the COPY's fence is waited for first,
 * and by then the FILL's was written.
 */
TEST(fault_jobs_of_a_file_run_in_order)
{
	struct drm_test_mirror_ufence *uf = UFENCES(fd, true);
	uint8_t *a = tm_must_map(NJ, PROT_READ | PROT_WRITE);
	uint8_t *b = tm_must_map_pattern(NJ, SEED_B);

	tm_must_bind(fd, a, SZ(NJ), RW);
	tm_must_bind(fd, b, SZ(NJ), RW);
	FJOB(fd, JOB_FILL, NULL, a, SZ(NJ), VAL_A, 0, &uf[0], SEQ_A);
	FJOB(fd, JOB_COPY, a, b, SZ(NJ), 0, 0, &uf[1], SEQ_B);
	ASSERT_EQ(UFENCE(fd, &uf[1], SEQ_B, 5000), 0);
	ASSERT_EQ(UFENCE_NOW(fd, &uf[0], SEQ_A), 1);
	ASSERT_EQ(uf[0].error, 0);
	ASSERT_WORDS(b, SZ(NJ), VAL_A);
	ASSERT_WORDS(a, SZ(NJ), VAL_A);
	EXPECT_JOBS(fd, 2, 2, 0);
}

/*
 * FILL of n untouched pages: as many device faults (and batches) as batches
 * of the running B cover them; n pages faulted.
 */
static void fill_n(int f, size_t n)
{
	struct drm_test_mirror_ufence *uf = UFENCES(f, true);
	uint8_t *dst = tm_must_map(n, PROT_READ | PROT_WRITE);

	tm_must_bind(f, dst, SZ(n), RW);
	FJOB(f, JOB_FILL, NULL, dst, SZ(n), VAL_A, 0, &uf[0], SEQ_A);
	ASSERT_EQ(UFENCE(f, &uf[0], SEQ_A, 5000), 0);
	ASSERT_WORDS(dst, SZ(n), VAL_A);
	EXPECT_FAULTS(f, faults_for(n), n);
	EXPECT_JOBS(f, 1, 1, 0);
}

static void fill_20(int f)
{
	fill_n(f, 20);
}

static void fill_600(int f)
{
	fill_n(f, 600);
}

/*
 * The parameter's bounds, 1 to 512: a value outside them, or not a number,
 * is refused with -EINVAL and the value stays 16; the bounds themselves are
 * taken and in effect at the next fault: 1 (a FILL of 20 untouched pages:
 * 20 faults) and 512 (a FILL of 600: 2). It is put back to 16 after each,
 * whatever happens. The testing parameter tlb_ack_delay_ms refuses more
 * than 5000 in the same way.
 */
TEST(fault_batch_pages_bounds)
{
	static const char *const bad[] = { "0", "513", "100000", "-1", "x" };
	static const struct tm_variant_batch one = { .pages = 1, .val = "1" };
	static const struct tm_variant_batch most = {
		.pages = 512, .val = "512"
	};
	uint64_t v = 0;
	unsigned int i;

	ASSERT_OK(tm_param_get("fault_batch_pages", &v));
	ASSERT_EQ(v, 16);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_ERRNO(tm_param_set("fault_batch_pages", bad[i]),
			     -EINVAL);
		ASSERT_OK(tm_param_get("fault_batch_pages", &v));
		ASSERT_EQ(v, 16);
	}
	with_batch(&one, fill_20);
	with_batch(&most, fill_600);
	ASSERT_ERRNO(tm_param_set("tlb_ack_delay_ms", "5001"), -EINVAL);
	ASSERT_OK(tm_param_get("tlb_ack_delay_ms", &v));
	ASSERT_EQ(v, 0);
}
