// SPDX-License-Identifier: GPL-2.0
/*
 * tm_stress: device atomics, where the kernel has them
 * (TEST_MIRROR_CAP_DEVICE_EXCLUSIVE).
 *
 * A page of counters of its own (anonymous, private, bound read-write in
 * both files, and out of the mutators' and the devmem mover's reach, so
 * that no change of the model explains a lost add) takes two kinds of
 * adds at once: a device thread's ATOMIC, FETCH_ADD and CMPXCHG through
 * either file (each takes the page exclusive for the device), and a CPU
 * thread's atomic adds, each of which takes the page back (CLEAR). Fork's
 * copy of the exclusive entry and clear_refs reach the page from the soft
 * operations, the other file's ATOMIC from the same device thread.
 *
 * What must hold: each ATOMIC succeeds, or fails with an -EBUSY that
 * busy_check() believes; the old value a thread sees of a counter never
 * falls below what its own last operation left there; at the end every
 * counter holds exactly the sum of the device's and the CPU's adds, read
 * by the CPU and by the device through both files; each file's STATS
 * atomics counts exactly its successful ATOMICs.
 */
#include <unistd.h>

#include "tm_stress.h"

#define NCTR	8

bool excl_cap;
static uint64_t *ctrs;			/* the counter page */
static uint64_t dev_sum[NCTR], cpu_sum[NCTR];
static uint64_t dev_ok[2];		/* successful ATOMICs per file */

void atomic_setup(void)
{
	int f;

	ctrs = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ctrs == MAP_FAILED)
		FAIL("mmap: %s", tm_errname(errno));
	for (f = 0; f < 2; f++)
		tm_must_bind(dev[f], ctrs, PAGE_SZ,
			     TEST_MIRROR_BIND_READ | TEST_MIRROR_BIND_WRITE |
			     TEST_MIRROR_BIND_PREFAULT);
}

/* One ATOMIC through file fdi; 0 or its errno, checked. */
static int dev_atomic(int fdi, struct drm_test_mirror_atomic *a, unsigned int w)
{
	uint64_t busy0 = races(fdi);
	int ret = tm_ioctl(dev[fdi], DRM_IOCTL_TEST_MIRROR_ATOMIC, a);

	if (!ret) {
		dev_ok[fdi]++;
		inc(C_ATOMIC);
		if (a->granted > 1)
			violation("ATOMIC (file %d): granted %u", fdi, a->granted);
		else if (a->granted)
			inc(C_ATOMIC_GRANTS);
	} else if (ret == -EBUSY) {
		busy_check(fdi, busy0, "ATOMIC op %u (file %d) of counter %u",
			   a->op, fdi, w);
	} else {
		violation("ATOMIC op %u (file %d) of counter %u: %s", a->op,
			  fdi, w, tm_errname(ret));
	}
	return ret;
}

void *atomic_device(void *arg)
{
	uint64_t r = (uintptr_t)arg | 1, least[NCTR] = { 0 };

	while (!stop) {
		unsigned int w = (unsigned int)(xrand(&r) % NCTR);
		int fdi = (int)(xrand(&r) & 1);
		uint64_t add = 1 + xrand(&r) % 3;
		struct drm_test_mirror_atomic a = {
			.addr = (uintptr_t)&ctrs[w],
			.operand = add,
			.op = TEST_MIRROR_ATOMIC_FETCH_ADD,
		};
		bool cmpxchg = !(xrand(&r) & 3);

		if (cmpxchg)
			a.operand = 0;	/* read the counter first */
		if (dev_atomic(fdi, &a, w))
			goto next;
		if (a.old < least[w])
			violation("ATOMIC FETCH_ADD (file %d) of counter %u: old %llu, below the %llu this thread left there",
				  fdi, w, (unsigned long long)a.old,
				  (unsigned long long)least[w]);
		least[w] = a.old + a.operand;
		dev_sum[w] += a.operand;
		if (cmpxchg) {
			uint64_t seen = a.old;

			fdi = (int)(xrand(&r) & 1);
			a = (struct drm_test_mirror_atomic){
				.addr = (uintptr_t)&ctrs[w],
				.compare = seen,
				.operand = seen + add,
				.op = TEST_MIRROR_ATOMIC_CMPXCHG,
			};
			if (dev_atomic(fdi, &a, w))
				goto next;
			if (a.old < least[w])
				violation("ATOMIC CMPXCHG (file %d) of counter %u: old %llu, below the %llu this thread left there",
					  fdi, w, (unsigned long long)a.old,
					  (unsigned long long)least[w]);
			least[w] = a.old;
			if (a.old == seen) {
				least[w] = seen + add;
				dev_sum[w] += add;
				inc(C_ATOMIC_SWAPS);
			}
		}
next:
		atomic_fetch_add(&progress, 1);
		if (!(xrand(&r) & 7))
			usleep(100);
	}
	return NULL;
}

void *atomic_cpu(void *arg)
{
	uint64_t r = (uintptr_t)arg | 1;

	while (!stop) {
		unsigned int w = (unsigned int)(xrand(&r) % NCTR);
		uint64_t add = 1 + xrand(&r) % 3;

		__atomic_fetch_add(&ctrs[w], add, __ATOMIC_SEQ_CST);
		cpu_sum[w] += add;
		inc(C_ATOMIC_CPU);
		usleep((useconds_t)(xrand(&r) % 400));
	}
	return NULL;
}

/* After the race (both threads joined): the totals, exactly. */
void atomic_final_check(void)
{
	struct drm_test_mirror_stats st;
	unsigned int w;
	int f, ret;

	for (w = 0; w < NCTR; w++) {
		uint64_t want = dev_sum[w] + cpu_sum[w];

		if (ctrs[w] != want)
			FAIL("at the end: counter %u holds %llu, the device added %llu and the CPU %llu",
			     w, (unsigned long long)ctrs[w],
			     (unsigned long long)dev_sum[w],
			     (unsigned long long)cpu_sum[w]);
		for (f = 0; f < 2; f++) {
			struct drm_test_mirror_atomic a = {
				.addr = (uintptr_t)&ctrs[w],
				.op = TEST_MIRROR_ATOMIC_FETCH_ADD,
			};

			ret = tm_ioctl(dev[f], DRM_IOCTL_TEST_MIRROR_ATOMIC, &a);
			if (ret || a.old != want)
				FAIL("at the end: ATOMIC (file %d) of counter %u: %s, old %llu, expected %llu",
				     f, w, tm_errname(ret),
				     (unsigned long long)a.old,
				     (unsigned long long)want);
			dev_ok[f]++;
		}
	}
	for (f = 0; f < 2; f++) {
		tm_must_stats(dev[f], &st);
		if (st.atomics != dev_ok[f])
			FAIL("at the end: STATS (file %d) atomics %llu, %llu ATOMICs succeeded",
			     f, (unsigned long long)st.atomics,
			     (unsigned long long)dev_ok[f]);
	}
	tm_diag("device atomics: %llu + %llu ATOMICs succeeded (files 0, 1); counter 0 at %llu",
		(unsigned long long)dev_ok[0], (unsigned long long)dev_ok[1],
		(unsigned long long)ctrs[0]);
}
