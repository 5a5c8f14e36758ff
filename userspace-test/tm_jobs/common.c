// SPDX-License-Identifier: GPL-2.0
/*
 * tm_jobs: what the tests share: the SUBMIT argument, a STREAM that must
 * be queued, the words the engine writes, the job counters, MIGRATE; the
 * fault model's jobs, user fences and counters.
 */
#include <inttypes.h>
#include <stdio.h>
#include <sys/mman.h>

#include "tm_jobs.h"

struct drm_test_mirror_submit job_arg(uint32_t op, const void *src,
				      const void *dst, size_t size,
				      uint64_t value, uint32_t ms,
				      uint32_t in, uint32_t out)
{
	struct drm_test_mirror_submit a = {
		.op = op,
		.src = ADDR(src),
		.dst = ADDR(dst),
		.size = size,
		.value = value,
		.duration_ms = ms,
		.in_syncobj = in,
		.out_syncobj = out,
	};

	return a;
}

int job_submit(int fd, uint32_t op, const void *src, const void *dst,
	       size_t size, uint64_t value, uint32_t ms, uint32_t in,
	       uint32_t out)
{
	struct drm_test_mirror_submit a = job_arg(op, src, dst, size, value,
						  ms, in, out);

	return tm_submit(fd, &a);
}

uint32_t stream_at(int fd, bool write, void *p, size_t npages,
		   uint64_t value, uint32_t ms, const char *file, int line)
{
	uint32_t out = tm_must_syncobj_at(fd, false, file, line);
	int ret;

	ret = job_submit(fd, JOB_STREAM, write ? NULL : p, write ? p : NULL,
			 SZ(npages), value, ms, 0, out);
	if (ret)
		tm_fail(file, line, "SUBMIT of a %s STREAM of %zu pages, %u ms: %s",
			write ? "writing" : "reading", npages, ms,
			tm_errname(ret));
	return out;
}

ssize_t words_differ(const void *p, size_t size, uint64_t value)
{
	const volatile uint64_t *w = p;
	size_t i;

	for (i = 0; i < size / 8; i++)
		if (w[i] != value)
			return (ssize_t)i;
	return -1;
}

void words_at(const void *p, size_t size, uint64_t value, const char *what,
	      const char *file, int line)
{
	ssize_t i = words_differ(p, size, value);

	if (i >= 0)
		tm_fail(file, line,
			"%s: word %zd (page %zd) is 0x%016" PRIx64 ", expected 0x%016" PRIx64,
			what, i, i * 8 / (ssize_t)PAGE_SZ,
			((const uint64_t *)p)[i], value);
}

void wait_words_at(const void *p, size_t size, uint64_t value,
		   unsigned int ms, const char *file, int line)
{
	uint64_t end = tm_now_ms() + (uint64_t)ms * tm_timeout_scale();

	while (words_differ(p, size, value) >= 0) {
		if (tm_now_ms() > end)
			tm_fail(file, line,
				"the engine did not write 0x%016" PRIx64 " to all of %zu pages within %u ms",
				value, size / PAGE_SZ, ms * tm_timeout_scale());
		tm_sleep_ms(1);
	}
}

int fence_now_at(int fd, uint32_t syncobj, const char *file, int line)
{
	int st = 0, ret;

	ret = tm_fence_status(fd, syncobj, -1, 0, &st);
	if (ret)
		tm_fail(file, line, "fence of syncobj %u: %s", syncobj,
			tm_errname(ret));
	return st;
}

void expect_jobs_at(int fd, uint64_t submitted, uint64_t completed,
		    uint64_t failed, const char *file, int line)
{
	struct drm_test_mirror_stats st = tm_stats_get_at(fd, file, line);

	if (st.jobs_submitted != submitted || st.jobs_completed != completed ||
	    st.jobs_failed != failed || st.access_after_invalidate)
		tm_fail(file, line,
			"jobs submitted/completed/failed %llu/%llu/%llu, access_after_invalidate %llu; expected %llu/%llu/%llu, 0",
			(unsigned long long)st.jobs_submitted,
			(unsigned long long)st.jobs_completed,
			(unsigned long long)st.jobs_failed,
			(unsigned long long)st.access_after_invalidate,
			(unsigned long long)submitted,
			(unsigned long long)completed,
			(unsigned long long)failed);
}

int migrate_range(int fd, void *p, size_t npages, uint64_t *moved)
{
	struct drm_test_mirror_migrate a = {
		.addr = ADDR(p),
		.size = SZ(npages),
	};
	int ret = tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_MIGRATE, &a);

	*moved = a.migrated;
	return ret;
}

struct drm_test_mirror_ufence *ufences_at(int fd, bool prefault,
					  const char *file, int line)
{
	struct drm_test_mirror_ufence *uf;
	size_t i;

	uf = tm_must_map_at(1, PROT_READ | PROT_WRITE, file, line);
	for (i = 0; i < UF_PER_PAGE; i++) {
		uf[i].seqno = 0;
		uf[i].error = UF_ERR_UNSET;
		uf[i].pad = UF_PAD_UNSET;
	}
	tm_must_bind_at(fd, uf, SZ(1), prefault ? RWP : RW, file, line);
	return uf;
}

struct drm_test_mirror_submit fjob_arg(uint32_t op, const void *src,
				       const void *dst, size_t size,
				       uint64_t value, uint32_t ms,
				       const struct drm_test_mirror_ufence *uf,
				       uint64_t seq)
{
	struct drm_test_mirror_submit a = job_arg(op, src, dst, size, value,
						  ms, 0, 0);

	a.flags = TEST_MIRROR_SUBMIT_FAULTABLE;
	a.ufence_addr = ADDR(uf);
	a.ufence_value = seq;
	return a;
}

int fjob_submit(int fd, uint32_t op, const void *src, const void *dst,
		size_t size, uint64_t value, uint32_t ms,
		const struct drm_test_mirror_ufence *uf, uint64_t seq)
{
	struct drm_test_mirror_submit a = fjob_arg(op, src, dst, size, value,
						   ms, uf, seq);

	return tm_submit(fd, &a);
}

void fjob_must_at(int fd, uint32_t op, const void *src, const void *dst,
		  size_t size, uint64_t value, uint32_t ms,
		  const struct drm_test_mirror_ufence *uf, uint64_t seq,
		  const char *file, int line)
{
	int ret = fjob_submit(fd, op, src, dst, size, value, ms, uf, seq);

	if (ret)
		tm_fail(file, line,
			"SUBMIT of a fault-model job (op %u, %zu pages, %u ms): %s",
			op, size / PAGE_SZ, ms, tm_errname(ret));
}

/* The fence is written in full: seqno exactly seq, pad 0, an errno. */
static int ufence_written_at(const struct drm_test_mirror_ufence *uf,
			     uint64_t seq, const char *file, int line)
{
	const volatile struct drm_test_mirror_ufence *v = uf;
	uint64_t s = v->seqno;
	int32_t err = v->error;
	uint32_t pad = v->pad;

	if (s != seq || pad || err > 0 || err < -4095)
		tm_fail(file, line,
			"user fence {seqno 0x%016" PRIx64 ", error %d, pad 0x%x}: expected seqno 0x%016" PRIx64 ", an errno or 0, pad 0",
			s, err, pad, seq);
	return err;
}

int ufence_wait_at(int fd, const struct drm_test_mirror_ufence *uf,
		   uint64_t seq, unsigned int ms, const char *file, int line)
{
	const volatile struct drm_test_mirror_ufence *v = uf;
	int64_t ns = (int64_t)ms * tm_timeout_scale() * 1000000;
	int ret = tm_wait_ufence(fd, &uf->seqno, seq, ns);

	if (ret == -ETIME)
		tm_fail(file, line,
			"the user fence did not reach 0x%016" PRIx64 " within %u ms (seqno 0x%016" PRIx64 ", error 0x%x)",
			seq, ms * tm_timeout_scale(), (uint64_t)v->seqno,
			(uint32_t)v->error);
	if (ret)
		tm_fail(file, line, "WAIT_UFENCE: %s", tm_errname(ret));
	return ufence_written_at(uf, seq, file, line);
}

int ufence_now_at(int fd, const struct drm_test_mirror_ufence *uf,
		  uint64_t seq, const char *file, int line)
{
	const volatile struct drm_test_mirror_ufence *v = uf;
	int ret = tm_wait_ufence(fd, &uf->seqno, seq, 0);

	if (!ret) {
		ufence_written_at(uf, seq, file, line);
		return 1;
	}
	if (ret != -ETIME)
		tm_fail(file, line, "WAIT_UFENCE (timeout 0): %s",
			tm_errname(ret));
	/* (its error may be written already: the job may be ending now) */
	if (v->seqno)
		tm_fail(file, line,
			"an unfinished job's user fence has seqno 0x%016" PRIx64,
			(uint64_t)v->seqno);
	return 0;
}

struct fcount fcount_at(int fd, const char *file, int line)
{
	struct drm_test_mirror_stats st = tm_stats_get_at(fd, file, line);
	struct fcount c = {
		.device_faults = st.device_faults,
		.fault_batches = st.fault_batches,
		.fault_pages = st.fault_pages,
		.tlb_flushes = st.tlb_flushes,
		.tlb_flushes_avoided = st.tlb_flushes_avoided,
		.nonblock_ack_pending = st.nonblock_ack_pending,
	};

	return c;
}

void wait_fault_pages_at(int fd, uint64_t n, unsigned int ms,
			 const char *file, int line)
{
	uint64_t t0 = tm_now_ns(), got;

	while ((got = fcount_at(fd, file, line).fault_pages) < n) {
		if (tm_now_ns() - t0 >= BOUND_NS(ms))
			tm_fail(file, line,
				"%" PRIu64 " pages faulted of %" PRIu64 " after %u ms",
				got, n, ms);
		tm_sleep_ms(1);
	}
}

void fcount_diag(const char *what, const struct fcount *c)
{
	tm_diag("%s: device_faults %" PRIu64 ", fault_batches %" PRIu64 ", fault_pages %" PRIu64 ", tlb_flushes %" PRIu64 ", tlb_flushes_avoided %" PRIu64 ", nonblock_ack_pending %" PRIu64,
		what, c->device_faults, c->fault_batches, c->fault_pages,
		c->tlb_flushes, c->tlb_flushes_avoided,
		c->nonblock_ack_pending);
}

struct engine_totals engine_totals_at(const char *file, int line)
{
	struct engine_totals t;
	char txt[512];

	tm_dbg_need();
	if (tm_read_text(TM_DEBUGFS "/engine", txt, sizeof(txt)))
		tm_fail(file, line, "cannot read %s/engine", TM_DEBUGFS);
	if (sscanf(txt, "jobs %llu access_after_invalidate %llu access_after_early_record %llu fault_jobs %llu device_faults %llu tlb_flushes %llu nonblock_ack_pending %llu",
		   &t.jobs, &t.late, &t.early, &t.fault_jobs, &t.device_faults,
		   &t.tlb_flushes, &t.nonblock_ack_pending) != 7)
		tm_fail(file, line, "%s/engine: unexpected text", TM_DEBUGFS);
	return t;
}
