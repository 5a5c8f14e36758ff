// SPDX-License-Identifier: GPL-2.0
/*
 * tm_jobs: what the tests share: the SUBMIT argument, a STREAM that must
 * be queued, the words the engine writes, the job counters.
 */
#include <inttypes.h>

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
