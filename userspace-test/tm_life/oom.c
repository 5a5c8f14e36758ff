// SPDX-License-Identifier: GPL-2.0
/*
 * tm_life: OOM kills of mirroring processes. A child in a memory-limited
 * cgroup v2 mirrors memory (device reads and writes in threads, and STREAM
 * jobs reading on the device's engine in both job models, so that the OOM
 * reaper meets a range the engine is using: a pre-validated job's access
 * in flight, or a fault-model job's TLB awaiting its acknowledgment) and
 * allocates until the OOM killer kills it; it must
 * die of SIGKILL, promptly, and the device must work afterwards (--oom N:
 * how many).
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "tm_life.h"

struct mirror_arg {
	int fd;
	uint8_t *mem;
	size_t pages;
	bool write;
};

static void *mirror_loop(void *arg)
{
	struct mirror_arg *a = arg;
	uint8_t *buf = malloc(SZ(256));
	size_t off = 0;

	for (;;) {
		size_t n = a->pages - off < 256 ? a->pages - off : 256;

		if (a->write)
			tm_write(a->fd, a->mem + SZ(off), SZ(n), buf, NULL);
		else
			tm_read(a->fd, a->mem + SZ(off), SZ(n), buf, NULL);
		off = (off + n) % a->pages;
	}
	return NULL;
}

/* STREAM jobs reading the range, one after the other, until killed. */
static void *job_loop(void *arg)
{
	struct mirror_arg *a = arg;
	uint32_t so = tm_must_syncobj(a->fd);
	int status;

	for (;;) {
		struct drm_test_mirror_submit job = {
			.op = TEST_MIRROR_JOB_STREAM,
			.src = (uintptr_t)a->mem,
			.size = SZ(a->pages),
			.duration_ms = 300,
			.out_syncobj = so,
		};

		if (!tm_submit(a->fd, &job))
			tm_fence_status(a->fd, so, -1, 5000, &status);
	}
	return NULL;
}

/* The same in the fault model, its user fence in a page of its own. */
static void *fjob_loop(void *arg)
{
	struct mirror_arg *a = arg;
	struct drm_test_mirror_ufence *uf = tm_must_map(1, PROT_READ | PROT_WRITE);
	uint64_t seq = 0;

	tm_must_bind(a->fd, uf, SZ(1), RW);
	for (;;) {
		struct drm_test_mirror_submit job = {
			.op = TEST_MIRROR_JOB_STREAM,
			.flags = TEST_MIRROR_SUBMIT_FAULTABLE,
			.src = (uintptr_t)a->mem,
			.size = SZ(a->pages),
			.duration_ms = 300,
			.ufence_addr = (uintptr_t)uf,
			.ufence_value = ++seq,
		};

		if (!tm_submit(a->fd, &job))
			tm_wait_ufence(a->fd, &uf->seqno, seq, 5000000000LL);
	}
	return NULL;
}

/* debugfs engine's count of one name since load, -1 if not readable. */
static long long engine_count(const char *name)
{
	char txt[512], *p;

	if (tm_read_text(TM_DEBUGFS "/engine", txt, sizeof(txt)))
		return -1;
	p = strstr(txt, name);
	return p ? strtoll(p + strlen(name) + 1, NULL, 10) : -1;
}

TEST_OPTS(oom_kill_loop, 0, 900)
{
	long long nb0 = engine_count("nonblock_ack_pending");
	char cg[128];
	unsigned int i, killed = 0;
	long long ooms0, ooms;

	if (!tm_cg_usable())
		SKIP("no cgroup v2 memory controller at " TM_CG_ROOT);
	tm_cg_path(cg, sizeof(cg), "oom");
	tm_cg_make(cg, "48M");
	ooms0 = tm_cg_read(cg, "memory.events", "oom_kill");
	for (i = 0; i < opt_oom; i++) {
		uint64_t t0 = tm_now_ms();
		pid_t pid = tm_fork();
		int st;

		if (!pid) {
			struct mirror_arg a[2];
			pthread_t t[4];
			int f;

			tm_cg_enter(cg);
			f = tm_must_open();
			a[0] = (struct mirror_arg){ f, tm_must_map_pattern(2048, i), 2048, false };
			a[1] = (struct mirror_arg){ f, tm_must_map_pattern(1024, i), 1024, true };
			tm_must_bind(f, a[0].mem, SZ(2048), i & 1 ? RO | PREFAULT : RO);
			tm_must_bind(f, a[1].mem, SZ(1024), RW | PREFAULT);
			pthread_create(&t[0], NULL, mirror_loop, &a[0]);
			pthread_create(&t[1], NULL, mirror_loop, &a[1]);
			pthread_create(&t[2], NULL, job_loop, &a[0]);
			pthread_create(&t[3], NULL, fjob_loop, &a[0]);
			/* eat memory until the OOM killer comes */
			for (;;) {
				uint8_t *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
						  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

				if (m == MAP_FAILED)
					continue;
				memset(m, 0x5a, 1 << 20);
			}
		}
		st = tm_wait_bounded(pid, 120000, "OOM child");
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
			FAIL("iteration %u: the mirroring child did not die of SIGKILL (status 0x%x)",
			     i, st);
		killed++;
		if (i == 0 || i + 1 == opt_oom)
			tm_diag("iteration %u: OOM-killed after %llu ms", i,
				(unsigned long long)(tm_now_ms() - t0));
	}
	ooms = tm_cg_read(cg, "memory.events", "oom_kill");
	tm_diag("%u mirroring processes OOM-killed (memory.events oom_kill %lld -> %lld)",
		killed, ooms0, ooms);
	tm_diag("non-blockable callbacks that returned false awaiting the fault engine's TLB acknowledgment: %lld",
		engine_count("nonblock_ack_pending") - nb0);
	if (ooms >= 0 && ooms - ooms0 < (long long)opt_oom)
		FAIL("memory.events counts %lld OOM kills for %u children", ooms - ooms0, opt_oom);
	tm_cg_remove(cg);
	tm_must_round_trip(fd);
}
