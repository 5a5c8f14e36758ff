// SPDX-License-Identifier: GPL-2.0
/*
 * tm_stress: the race itself.
 *
 * The slots (8 of 16 pages, and a 2 MiB one that starts as a transparent
 * huge page where THP is usable), each bound in both device files; two
 * mutators (each owns its slots), the soft operations, three readers and
 * two writers, where the device has memory the devmem mover, and where
 * it has atomics the device and CPU adders of atomic.c, for --seconds; a
 * watchdog that calls no progress for 60 s a hang. At the end every page
 * holds an allowed content, and the device reads what the CPU reads; the
 * counters of atomic.c hold exactly what was added.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tm_stress.h"

int dev[2];
bool aware;

static void slot_init(struct slot *s, size_t np, bool huge)
{
	size_t len = np * PAGE_SZ, align = huge ? (2u << 20) : PAGE_SZ, p;
	uint8_t *raw;
	uint32_t id = new_id();
	int f;

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->wr_lock, NULL);
	s->np = np;
	s->huge = huge;
	raw = mmap(NULL, len + align, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		FAIL("mmap: %s", tm_errname(errno));
	s->addr = (uint8_t *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
	madvise(s->addr, len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	s->tmp = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->tmp == MAP_FAILED)
		FAIL("mmap: %s", tm_errname(errno));
	s->pm = calloc(np, sizeof(*s->pm));
	if (!s->pm)
		FAIL("out of memory");
	fill(s, 0, np, id);
	for (p = 0; p < np; p++)
		acc_add(s, p, id);
	for (f = 0; f < 2; f++)
		s->handle[f] = tm_must_bind(dev[f], s->addr, len,
					    TEST_MIRROR_BIND_READ |
					    TEST_MIRROR_BIND_WRITE |
					    TEST_MIRROR_BIND_PREFAULT);
}

static void final_check(void)
{
	uint8_t *buf = malloc(HUGE_SLOT_PAGES * PAGE_SZ);
	unsigned int i;
	int f, ret;

	for (i = 0; i < nslots; i++) {
		struct slot *s = &slots[i];

		/* every word an allowed content (or a byte mix of them) */
		pthread_mutex_lock(&s->lock);
		settle(s, 0, s->np);
		pthread_mutex_unlock(&s->lock);
		if (failed)
			FAIL("at the end: %s", fail_msg);
		for (f = 0; f < 2; f++) {
			struct tm_result res;

			ret = tm_read(dev[f], s->addr, s->np * PAGE_SZ, buf, &res);
			if (ret)
				FAIL("at the end: READ of slot %u (file %d): %s",
				     i, f, tm_errname(ret));
			if (memcmp(buf, s->addr, s->np * PAGE_SZ))
				FAIL("at the end: the device (file %d) reads slot %u differently from the CPU",
				     f, i);
		}
	}
	free(buf);
	/* no engine access outlived the invalidation of its page */
	for (f = 0; f < 2; f++) {
		struct drm_test_mirror_stats st;

		tm_must_stats(dev[f], &st);
		if (st.access_after_invalidate)
			FAIL("at the end: file %d's engine used %llu pages after their invalidation",
			     f, (unsigned long long)st.access_after_invalidate);
	}
}

/* The race itself. */
TEST_OPTS(race, 0, 0)
{
	struct drm_test_mirror_stats st;
	struct mut_arg ma[2];
	pthread_t t[16];
	unsigned int nt = 0, i;
	uint64_t last_progress = 0;
	time_t end, last_change;
	int watchdog_scale = (int)tm_timeout_scale();

	dev[0] = fd;
	dev[1] = tm_must_open();
	tm_must_stats(fd, &st);
	aware = st.caps & TEST_MIRROR_CAP_EVENT_AWARE;
	devmem_cap = st.caps & TEST_MIRROR_CAP_DEVICE_PRIVATE;
	excl_cap = st.caps & TEST_MIRROR_CAP_DEVICE_EXCLUSIVE;
	nslots = NSLOTS_SMALL;
	for (i = 0; i < NSLOTS_SMALL; i++)
		slot_init(&slots[i], SMALL_PAGES, false);
	if (tm_thp_usable())
		slot_init(&slots[nslots++], HUGE_SLOT_PAGES, true);
	if (excl_cap)
		atomic_setup();
	job_setup();
	/*
	 * The threads' buffers come from the brk heap, never from mmap(): a
	 * mapping made while a mutator has a slot unmapped may land in the
	 * hole, and the mutator's MAP_FIXED then maps the slot over it
	 * (the buffer's later writes would land in the slot).
	 */
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_MMAP_MAX, 0);

	ma[0] = (struct mut_arg){ 0, 4, opt_seed * 7919 };
	ma[1] = (struct mut_arg){ 4, nslots - 4, opt_seed * 104729 };
	pthread_create(&t[nt++], NULL, mutator, &ma[0]);
	pthread_create(&t[nt++], NULL, mutator, &ma[1]);
	pthread_create(&t[nt++], NULL, soft_ops, (void *)(uintptr_t)(opt_seed * 31 + 1));
	for (i = 0; i < 3; i++)
		pthread_create(&t[nt++], NULL, reader,
			       (void *)(uintptr_t)(opt_seed * 1000 + i + 7));
	for (i = 0; i < 2; i++)
		pthread_create(&t[nt++], NULL, writer,
			       (void *)(uintptr_t)(opt_seed * 2000 + i + 11));
	pthread_create(&t[nt++], NULL, job_reader,
		       (void *)(uintptr_t)(opt_seed * 6000 + 23));
	if (devmem_cap)
		pthread_create(&t[nt++], NULL, devmem_mover,
			       (void *)(uintptr_t)(opt_seed * 3000 + 13));
	if (excl_cap) {
		pthread_create(&t[nt++], NULL, atomic_device,
			       (void *)(uintptr_t)(opt_seed * 4000 + 17));
		pthread_create(&t[nt++], NULL, atomic_cpu,
			       (void *)(uintptr_t)(opt_seed * 5000 + 19));
	}

	end = time(NULL) + opt_seconds;
	last_change = time(NULL);
	while (!stop && time(NULL) < end) {
		uint64_t now = atomic_load(&progress);

		sleep(1);
		if (now != last_progress) {
			last_progress = now;
			last_change = time(NULL);
		} else if (time(NULL) - last_change > 60 * watchdog_scale) {
			/* Threads stuck in the kernel cannot be joined. */
			print_counters();
			FAIL("no progress for %d s: a thread is stuck (hang)",
			     60 * watchdog_scale);
		}
	}
	stop = 1;
	for (i = 0; i < nt; i++)
		pthread_join(t[i], NULL);
	print_counters();
	if (failed)
		FAIL("%s", fail_msg);
	final_check();
	if (excl_cap)
		atomic_final_check();
	tm_must_stats(fd, &st);
	tm_diag("file 0: %llu read faults, %llu write faults, %llu retries, %llu entries invalidated, %llu downgraded, %llu pages dropped, %llu non-blockable callbacks (%llu busy)",
		(unsigned long long)st.read_faults,
		(unsigned long long)st.write_faults,
		(unsigned long long)st.retries,
		(unsigned long long)st.entries_invalidated,
		(unsigned long long)st.entries_downgraded,
		(unsigned long long)st.pages_dropped,
		(unsigned long long)st.nonblock_calls,
		(unsigned long long)st.nonblock_busy);
	{
		char ev[256];
		size_t o = 0;
		unsigned int e;

		for (e = 0; e < TEST_MIRROR_EVENT_MAX; e++)
			if (st.events[e] && o < sizeof(ev) - 32)
				o += snprintf(ev + o, sizeof(ev) - o, " %s=%llu",
					      tm_event_name(e),
					      (unsigned long long)st.events[e]);
		tm_diag("file 0 callbacks per event:%s", ev);
	}
	if (!ctr[C_CLEAN_READS] || !ctr[C_CLEAN_WRITES] || !ctr[C_REMAP] ||
	    !ctr[C_FORK] || (devmem_cap && !ctr[C_DEVMEM_PAGES]) ||
	    (excl_cap && (!ctr[C_ATOMIC_GRANTS] || !ctr[C_ATOMIC_SWAPS])))
		FAIL("the stress did too little to mean anything (%u s)", opt_seconds);
}
