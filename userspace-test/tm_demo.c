// SPDX-License-Identifier: GPL-2.0
/*
 * tm_demo: what test_mirror does, step by step, for someone who has never
 * seen HMM.
 *
 * The program maps a small buffer, lets the mock device read and write it,
 * then changes the buffer from the CPU side (munmap, mprotect,
 * MADV_DONTNEED, fork, clear_refs), lets the device migrate pages, and
 * watches a child process exit; where the kernel allows, device atomics race
 * the CPU, and pages move to the device's own memory and back. A job on the
 * device's engine (SUBMIT) runs while the CPU unmaps half its buffer: the
 * demo prints how long munmap took and the job's fence. A job of the fault
 * model faults on untouched memory and replays, and another loses a page
 * to munmap: its user fence says -EFAULT. After each change
 * it prints the event the kernel sent to the driver, what the driver did
 * about it, and the device's page table.
 *
 * Exit status: 0 if every step behaved as the contract says, 1 otherwise.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tm_lib.h"

#define NPAGES	8

static int dev;
static uint8_t *buf;
/* the buffer the table and the event ranges are shown for (buf, or step 12's) */
static uint8_t *shown;
static unsigned int shown_pages;
static size_t psz;
static unsigned int unexpected;

/* Report a deviation from the contract; the demo goes on. */
static void __attribute__((format(printf, 1, 2))) oops(const char *fmt, ...)
{
	va_list ap;

	printf("        UNEXPECTED: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	unexpected++;
}

static uint8_t *page(unsigned int i)
{
	return buf + (size_t)i * psz;
}

/* Print the device table of the shown buffer; it must read `want` if set. */
static void expect_table(const char *want)
{
	uint8_t snap[NPAGES];
	char map[2 * NPAGES];
	int ret;

	ret = tm_snapshot(dev, shown, shown_pages * psz, snap);
	if (ret) {
		oops("snapshot: %s", tm_errname(ret));
		return;
	}
	printf("        device table: %s\n", tm_snap_str(snap, shown_pages, map));
	if (want && strcmp(map, want))
		oops("expected the device table \"%s\"", want);
}

static void show_table(void)
{
	expect_table(NULL);
}

/* "pages 6-7" when the range is inside the buffer, else the addresses. */
static const char *range_str(uint64_t start, uint64_t end)
{
	static char s[64];
	uint64_t b = (uintptr_t)shown, e = b + shown_pages * psz;

	if (start == 0 && end == UINT64_MAX) {
		snprintf(s, sizeof(s), "all memory");
	} else if (start >= b && end <= e && end > start) {
		uint64_t first = (start - b) / psz, last = (end - b) / psz - 1;

		if (first == last)
			snprintf(s, sizeof(s), "page %" PRIu64, first);
		else
			snprintf(s, sizeof(s), "pages %" PRIu64 "-%" PRIu64,
				 first, last);
	} else {
		snprintf(s, sizeof(s), "0x%" PRIx64 "-0x%" PRIx64, start, end);
	}
	return s;
}

/*
 * Print the events the driver logged since the last call (consuming them)
 * and check that `want` of them (at least one if `want` is 0) are `event`
 * with the action `action`.
 */
static void show_events_n(unsigned int event, unsigned int action,
			  unsigned int want)
{
	struct drm_test_mirror_event rec[16];
	unsigned int n = 0, i, seen = 0;
	int ret;

	ret = tm_events(dev, rec, 16, true, &n, NULL);
	if (ret) {
		oops("events: %s", tm_errname(ret));
		return;
	}
	for (i = 0; i < n; i++) {
		const char *verb = rec[i].action == TEST_MIRROR_ACTION_DOWNGRADE ?
				   "made read-only" : "removed";

		if (rec[i].action == TEST_MIRROR_ACTION_SKIP)
			printf("        kernel event: %-14s on %-9s -> driver: SKIP, %s\n",
			       tm_event_name(rec[i].event),
			       range_str(rec[i].start, rec[i].end),
			       rec[i].event == TEST_MIRROR_EVENT_EXCLUSIVE ?
			       "its own exclusive access: the entry stays" :
			       "its own migration: it moves its entries itself");
		else
			printf("        kernel event: %-14s on %-9s -> driver: %s, %" PRIu64
			       " entr%s %s\n", tm_event_name(rec[i].event),
			       range_str(rec[i].start, rec[i].end),
			       tm_action_name(rec[i].action), (uint64_t)rec[i].entries,
			       rec[i].entries == 1 ? "y" : "ies", verb);
		if (rec[i].event == event && rec[i].action == action)
			seen++;
	}
	if (want ? seen != want : !seen)
		oops("expected %s %s event%s handled with %s, saw %u",
		     want ? (want == 1 ? "one" : "some") : "at least one",
		     tm_event_name(event), want == 1 ? "" : "s",
		     tm_action_name(action), seen);
}

static void show_events(unsigned int event, unsigned int action)
{
	show_events_n(event, action, 1);
}

/* Step 11's CPU side: RACE_N locked adds, never far ahead of the device. */
#define RACE_N	500
static volatile unsigned int race_done[2];

static void race_wait(int me, unsigned int i)
{
	while (race_done[!me] + 4 < i)
		sched_yield();
}

static void *race_cpu(void *arg)
{
	uint64_t *ctr = arg;
	unsigned int i;

	for (i = 0; i < RACE_N; i++) {
		race_wait(0, i);
		__atomic_fetch_add(ctr, 1, __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&race_done[0], 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/*
 * Step 11: a device atomic racing the CPU on page 1, where the kernel
 * lets the device take pages exclusive; elsewhere, say why not.
 */
static void show_atomic_race(void)
{
	struct drm_test_mirror_atomic a = { .op = TEST_MIRROR_ATOMIC_FETCH_ADD,
					    .operand = 1 };
	struct drm_test_mirror_stats st;
	uint64_t *ctr = (uint64_t *)page(1), grants;
	pthread_t cpu;
	unsigned int i;
	int ret;

	a.addr = (uintptr_t)ctr;
	if (tm_stats(dev, &st, false)) {
		oops("stats");
		return;
	}
	if (!(st.caps & TEST_MIRROR_CAP_DEVICE_EXCLUSIVE)) {
		printf("11. A device atomic racing the CPU: skipped, this kernel has no\n"
		       "    make_device_exclusive() for modules (capability clear); ATOMIC says: %s\n",
		       tm_errname(tm_ioctl(dev, DRM_IOCTL_TEST_MIRROR_ATOMIC, &a)));
		return;
	}
	printf("11. A device atomic racing the CPU: both add 1 to a counter on page 1, %u times each\n",
	       RACE_N);
	*ctr = 0;
	tm_evlog_drain(dev);
	ret = tm_ioctl(dev, DRM_IOCTL_TEST_MIRROR_ATOMIC, &a);
	if (ret) {
		oops("atomic: %s", tm_errname(ret));
		return;
	}
	printf("        the device takes the page (make_device_exclusive): its first add saw %" PRIu64 "\n",
	       (uint64_t)a.old);
	show_events(TEST_MIRROR_EVENT_EXCLUSIVE, TEST_MIRROR_ACTION_SKIP);
	show_table();
	printf("        the CPU reads the counter: %" PRIu64 " (the CPU takes the page back)\n",
	       *(volatile uint64_t *)ctr);
	show_events(TEST_MIRROR_EVENT_CLEAR, TEST_MIRROR_ACTION_INVALIDATE);
	*ctr = 0;
	tm_stats(dev, &st, false);
	grants = st.exclusive_grants;
	race_done[0] = race_done[1] = 0;
	if (pthread_create(&cpu, NULL, race_cpu, ctr)) {
		oops("pthread_create");
		return;
	}
	for (i = 0; i < RACE_N; i++) {
		race_wait(1, i);
		ret = tm_ioctl(dev, DRM_IOCTL_TEST_MIRROR_ATOMIC, &a);
		if (ret)
			break;
		__atomic_fetch_add(&race_done[1], 1, __ATOMIC_RELEASE);
	}
	if (ret) {
		race_done[1] = RACE_N + 8;
		oops("atomic: %s", tm_errname(ret));
	}
	pthread_join(cpu, NULL);
	tm_stats(dev, &st, false);
	printf("        counter: %" PRIu64 " (2 x %u = %u); the page changed hands %" PRIu64
	       " times each way\n", *(volatile uint64_t *)ctr, RACE_N, 2 * RACE_N,
	       (uint64_t)(st.exclusive_grants - grants));
	if (*(volatile uint64_t *)ctr != 2 * RACE_N)
		oops("the counter is not 2N: an add was lost");
	/* the race's own events: many, and not the next step's */
	tm_evlog_drain(dev);
}

/* DEVMEM of pages [first, first + n) of the shown buffer; *moved: pages. */
static int devmem(unsigned int op, unsigned int first, unsigned int n,
		  uint64_t *moved)
{
	struct drm_test_mirror_devmem d = {
		.addr = (uintptr_t)(shown + (size_t)first * psz),
		.size = (uint64_t)n * psz,
		.op = op,
	};
	int ret = tm_ioctl(dev, DRM_IOCTL_TEST_MIRROR_DEVMEM, &d);

	*moved = d.pages;
	return ret;
}

/* Step 12's STATS, as differences from the step's start. */
static void devmem_stats(const struct drm_test_mirror_stats *st0,
			 uint64_t to_dev, uint64_t to_sys, uint64_t cpu_faults,
			 int64_t in_use)
{
	struct drm_test_mirror_stats st;

	if (tm_stats(dev, &st, false)) {
		oops("stats");
		return;
	}
	printf("        STATS: moved to the device +%" PRIu64 ", to system memory +%" PRIu64
	       ", CPU faults home +%" PRIu64 ", device pages in use %+" PRId64 "\n",
	       (uint64_t)(st.devmem_to_device - st0->devmem_to_device),
	       (uint64_t)(st.devmem_to_system - st0->devmem_to_system),
	       (uint64_t)(st.devmem_cpu_faults - st0->devmem_cpu_faults),
	       (int64_t)(st.devmem_pages - st0->devmem_pages));
	if (st.devmem_to_device - st0->devmem_to_device != to_dev ||
	    st.devmem_to_system - st0->devmem_to_system != to_sys ||
	    st.devmem_cpu_faults - st0->devmem_cpu_faults != cpu_faults ||
	    (int64_t)(st.devmem_pages - st0->devmem_pages) != in_use)
		oops("expected +%" PRIu64 ", +%" PRIu64 ", +%" PRIu64 ", %+" PRId64,
		     to_dev, to_sys, cpu_faults, in_use);
}

#define DM_PAGES	4

/*
 * Step 12: a new buffer moves to the device's own memory (device-private
 * pages), the device uses it there without faulting, a CPU touch brings
 * one page home (migrate_to_ram()), DEVMEM the rest. Where the kernel has
 * no device-private memory, say so.
 */
static void show_devmem(void)
{
	struct drm_test_mirror_stats st0;
	struct tm_result res = { 0 };
	uint8_t *p, *tmp;
	char seen[64], want[64];
	uint64_t moved;
	unsigned int i;
	uint32_t h;
	int ret;

	if (tm_stats(dev, &st0, false)) {
		oops("stats");
		return;
	}
	if (!(st0.caps & TEST_MIRROR_CAP_DEVICE_PRIVATE)) {
		ret = devmem(TEST_MIRROR_DEVMEM_TO_DEVICE, 0, 1, &moved);
		printf("12. Migration to the device and back: skipped, this kernel has no\n"
		       "    device-private memory (CONFIG_DEVICE_PRIVATE, capability clear); DEVMEM says: %s\n",
		       tm_errname(ret));
		if (ret != -EOPNOTSUPP)
			oops("expected %s", tm_errname(-EOPNOTSUPP));
		return;
	}
	p = tm_map(DM_PAGES, PROT_READ | PROT_WRITE, 0);
	tmp = calloc(DM_PAGES, psz);
	if (!p || !tmp) {
		oops("memory");
		free(tmp);
		return;
	}
	shown = p;
	shown_pages = DM_PAGES;
	for (i = 0; i < DM_PAGES; i++)
		snprintf((char *)p + i * psz, psz, "page %u: written by the CPU", i);
	printf("12. Migration to the device and back: CPU: mmap %u new pages, write each, bind them\n",
	       DM_PAGES);
	ret = tm_bind(dev, p, DM_PAGES * psz, TEST_MIRROR_BIND_READ |
		      TEST_MIRROR_BIND_WRITE, &h);
	if (ret) {
		oops("bind: %s", tm_errname(ret));
		goto out;
	}
	tm_evlog_drain(dev);
	printf("   CPU: DEVMEM pages 0-%u to the device's memory (migrate_vma_setup/pages/finalize)\n",
	       DM_PAGES - 1);
	ret = devmem(TEST_MIRROR_DEVMEM_TO_DEVICE, 0, DM_PAGES, &moved);
	printf("        %s, %" PRIu64 " pages moved\n", ret ? tm_errname(ret) : "ok", moved);
	if (ret || moved != DM_PAGES)
		oops("expected ok, %u pages", DM_PAGES);
	show_events(TEST_MIRROR_EVENT_MIGRATE, TEST_MIRROR_ACTION_SKIP);
	expect_table("V V V V");
	devmem_stats(&st0, DM_PAGES, 0, 0, DM_PAGES);
	ret = tm_read(dev, p, DM_PAGES * psz, tmp, &res);
	printf("        device reads pages 0-%u: ", DM_PAGES - 1);
	if (ret) {
		printf("fails with %s\n", tm_errname(ret));
		oops("expected ok");
	} else {
		printf("ok, %" PRIu64 " device faults (its own memory); page 3: \"%s\"\n",
		       (uint64_t)res.faults, (char *)tmp + 3 * psz);
		if (res.faults || strcmp((char *)tmp + 3 * psz, "page 3: written by the CPU"))
			oops("expected no fault and the CPU's data");
	}

	printf("   CPU: reads page 1: its page table holds a device-private entry, the CPU\n"
	       "        faults, and migrate_to_ram() brings the page home\n");
	memcpy(seen, p + psz, sizeof(seen));
	seen[sizeof(seen) - 1] = '\0';
	printf("        the CPU sees: \"%s\"\n", seen);
	if (strcmp(seen, "page 1: written by the CPU"))
		oops("wrong data");
	devmem_stats(&st0, DM_PAGES, 0, 1, DM_PAGES - 1);
	show_events(TEST_MIRROR_EVENT_MIGRATE, TEST_MIRROR_ACTION_INVALIDATE);
	expect_table("V . V V");

	printf("   CPU: DEVMEM pages 0-%u back to system memory\n", DM_PAGES - 1);
	ret = devmem(TEST_MIRROR_DEVMEM_TO_SYSTEM, 0, DM_PAGES, &moved);
	printf("        %s, %" PRIu64 " pages moved (page 1 is home already)\n",
	       ret ? tm_errname(ret) : "ok", moved);
	if (ret || moved != DM_PAGES - 1)
		oops("expected ok, %u pages", DM_PAGES - 1);
	show_events(TEST_MIRROR_EVENT_MIGRATE, TEST_MIRROR_ACTION_INVALIDATE);
	expect_table(". . . .");
	devmem_stats(&st0, DM_PAGES, DM_PAGES - 1, 1, 0);
	for (i = 0; i < DM_PAGES; i++) {
		snprintf(want, sizeof(want), "page %u: written by the CPU", i);
		if (strcmp((char *)p + i * psz, want))
			oops("page %u: wrong data after the trip", i);
	}
	printf("        the CPU finds its data in all %u pages\n", DM_PAGES);
	ret = tm_unbind(dev, h);
	if (ret)
		oops("unbind: %s", tm_errname(ret));
out:
	munmap(p, DM_PAGES * psz);
	free(tmp);
	shown = buf;
	shown_pages = NPAGES;
}

/*
 * Step 12, 2 MiB: where the kernel moves device-private THP
 * (TEST_MIRROR_CAP_DEVICE_HUGE), a transparent huge page moves as one
 * 2 MiB device folio, the device maps it with one huge entry, and a CPU
 * touch brings the whole folio home in one fault.
 */
static void show_devmem_huge(void)
{
	size_t len = (size_t)HUGE_PAGES * psz;
	struct drm_test_mirror_stats st0;
	uint8_t *raw, *p;
	uint64_t moved;
	uint32_t h;
	int ret;

	if (tm_stats(dev, &st0, false)) {
		oops("stats");
		return;
	}
	if (!(st0.caps & TEST_MIRROR_CAP_DEVICE_PRIVATE))
		return;
	if (!(st0.caps & TEST_MIRROR_CAP_DEVICE_HUGE) || !tm_thp_usable()) {
		printf("   (2 MiB device folios: not on this kernel, or THP is off)\n");
		return;
	}
	raw = mmap(NULL, 2 * len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) {
		oops("mmap: %s", tm_errname(-errno));
		return;
	}
	p = (uint8_t *)(((uintptr_t)raw + len - 1) & ~(uintptr_t)(len - 1));
	madvise(p, len, MADV_HUGEPAGE);
	memset(p, 0x5a, len);
	shown = p;
	shown_pages = 4;
	printf("   CPU: a 2 MiB transparent huge page, bound; DEVMEM moves it whole\n");
	ret = tm_bind(dev, p, len, TEST_MIRROR_BIND_READ | TEST_MIRROR_BIND_WRITE,
		      &h);
	if (ret) {
		oops("bind: %s", tm_errname(ret));
		goto out;
	}
	ret = devmem(TEST_MIRROR_DEVMEM_TO_DEVICE, 0, HUGE_PAGES, &moved);
	printf("        %s, %" PRIu64 " pages moved; its first pages in the table (H: one\n"
	       "        huge entry of a 2 MiB device folio):\n",
	       ret ? tm_errname(ret) : "ok", moved);
	if (ret || moved != HUGE_PAGES)
		oops("expected ok, %zu pages", (size_t)HUGE_PAGES);
	expect_table("H H H H");
	printf("   CPU: reads one byte: the CPU maps the folio with one device-private\n"
	       "        PMD entry, and migrate_to_ram() brings all 2 MiB home\n");
	if (p[12345] != 0x5a)
		oops("wrong data");
	devmem_stats(&st0, HUGE_PAGES, 0, 1, 0);
	expect_table(". . . .");
	ret = tm_unbind(dev, h);
	if (ret)
		oops("unbind: %s", tm_errname(ret));
out:
	munmap(raw, 2 * len);
	shown = buf;
	shown_pages = NPAGES;
}

/* Is the soft-dirty bit of the page at p set? 1, 0, or -errno. */
static int soft_dirty(const void *p)
{
	uint64_t ent;
	int ret = tm_pagemap_read(p, &ent);

	return ret ? ret : !!(ent & PM_SOFT_DIRTY);
}

#define TRACE_DIR "/sys/kernel/tracing/instances/tm_demo"

/*
 * A child process opens the device, binds and reads a buffer of its own,
 * and exits without closing anything. Its own event log dies with it, so
 * the driver's tm_invalidate tracepoint (a private trace instance) tells
 * what the kernel sent.
 */
static void show_exit(void)
{
	char line[512];
	unsigned int release = 0, unmap = 0;
	pid_t pid;
	FILE *f;

	if (mkdir(TRACE_DIR, 0700) && errno != EEXIST) {
		printf("        (no tracefs here: %s; skipped)\n", tm_errname(-errno));
		return;
	}
	if (tm_write_str(TRACE_DIR "/events/test_mirror/tm_invalidate/enable", "1")) {
		printf("        (the tm_invalidate tracepoint is not available; skipped)\n");
		rmdir(TRACE_DIR);
		return;
	}
	pid = fork();
	if (pid == 0) {
		uint8_t *p = tm_map(2, PROT_READ | PROT_WRITE, 0);
		int fd = tm_open();
		struct tm_result res;
		uint32_t h;

		if (!p || fd < 0 || tm_bind(fd, p, 2 * psz, TEST_MIRROR_BIND_READ, &h) ||
		    tm_read(fd, p, 2 * psz, p, &res))
			_exit(1);
		_exit(0);	/* exit with the file open and the buffer mirrored */
	}
	if (pid < 0 || waitpid(pid, NULL, 0) != pid)
		oops("fork/wait: %s", tm_errname(-errno));
	tm_write_str(TRACE_DIR "/events/test_mirror/tm_invalidate/enable", "0");
	f = fopen(TRACE_DIR "/trace", "r");
	while (f && fgets(line, sizeof(line), f)) {
		struct tm_trace_rec r;

		if (tm_trace_parse(line, &r) != 1 || r.pid != (int)pid)
			continue;
		if (r.ev == TEST_MIRROR_EVENT_RELEASE)
			release++;
		else if (r.ev == TEST_MIRROR_EVENT_UNMAP)
			unmap++;
		else
			continue;
		printf("        kernel event: %-14s on all memory -> driver: %s\n",
		       tm_event_name(r.ev), r.act == TEST_MIRROR_ACTION_RELEASE ?
		       "RELEASE, everything removed" : "DROP");
	}
	if (f)
		fclose(f);
	rmdir(TRACE_DIR);
	if (!release || !unmap)
		oops("expected RELEASE then UNMAP from the exiting child, saw %u and %u",
		     release, unmap);
}

/*
 * 13: a job on the device's engine (SUBMIT). A STREAM writes a value into
 * a buffer of its own for 3 s; once the CPU sees the value everywhere, the
 * CPU unmaps half the buffer. munmap waits for the engine to finish the
 * page it is writing, the job stops at once with -EFAULT on its fence, the
 * other half keeps the job's value, and the device never touched a page
 * after the kernel took it back.
 */
static void show_job(void)
{
	const uint64_t v = 0x0123456789abcdefull;
	const unsigned int n = 64;
	struct drm_test_mirror_stats st;
	struct drm_test_mirror_submit job = {
		.op = TEST_MIRROR_JOB_STREAM,
		.size = n * psz,
		.value = v,
		.duration_ms = 3000,
	};
	uint64_t t0, t1, t2, deadline;
	uint32_t h = 0, out = 0;
	int ret, status = 0;
	uint64_t *w;
	uint8_t *jb;
	size_t i;

	printf("13. A job on the device's engine: for 3 s the device writes 0x%016" PRIx64 "\n"
	       "    into every word of a new buffer of %u pages (a STREAM job, SUBMIT ioctl)\n",
	       v, n);
	jb = tm_map(n, PROT_READ | PROT_WRITE, 0);
	if (!jb) {
		oops("mmap: %s", tm_errname(errno));
		return;
	}
	memset(jb, 0, n * psz);
	ret = tm_bind(dev, jb, n * psz, TEST_MIRROR_BIND_READ |
		      TEST_MIRROR_BIND_WRITE, &h);
	if (!ret)
		ret = tm_syncobj_new(dev, false, &out);
	if (ret) {
		oops("bind / syncobj: %s", tm_errname(ret));
		return;
	}
	job.dst = (uintptr_t)jb;
	job.out_syncobj = out;
	ret = tm_submit(dev, &job);
	if (ret) {
		oops("SUBMIT: %s", tm_errname(ret));
		return;
	}
	printf("   SUBMIT made every page's entry valid, queued the job and returned;\n"
	       "   the engine now writes through those entries, without locks and without faults\n");
	w = (uint64_t *)jb;
	deadline = tm_now_ms() + 2000;
	for (i = 0; i < n * psz / 8 && tm_now_ms() < deadline; )
		if (((volatile uint64_t *)w)[i] == v)
			i++;
	if (i < n * psz / 8) {
		oops("the CPU does not see the job's value in word %zu", i);
		return;
	}
	printf("   the CPU sees the job's value in all %u pages\n", n);
	t0 = tm_now_ns();
	if (munmap(jb + (n / 2) * psz, (n / 2) * psz))
		oops("munmap: %s", tm_errname(errno));
	t1 = tm_now_ns();
	printf("   CPU: munmap pages %u-%u while the job runs: munmap took %.3f ms\n"
	       "        (the driver removed the entries, then waited for the engine to\n"
	       "         finish the page it was using: no device access after munmap)\n",
	       n / 2, n - 1, (double)(t1 - t0) / 1e6);
	ret = tm_fence_status(dev, out, -1, 2000, &status);
	t2 = tm_now_ns();
	if (ret) {
		oops("the job's fence: %s", tm_errname(ret));
		return;
	}
	printf("   the job's fence: status %d (%s), %.3f ms after munmap, long before its 3 s\n",
	       status, status == 1 ? "done" : tm_errname(status),
	       (double)(t2 - t1) / 1e6);
	if (status != -EFAULT)
		oops("expected the job to end with -EFAULT");
	for (i = 0; i < (n / 2) * psz / 8 && w[i] == v; i++)
		;
	printf("   pages 0-%u still hold the job's value: %s\n", n / 2 - 1,
	       i == (n / 2) * psz / 8 ? "yes" : "NO");
	if (i != (n / 2) * psz / 8)
		oops("word %zu is 0x%016" PRIx64, i, w[i]);
	if (tm_stats(dev, &st, false)) {
		oops("stats");
	} else {
		printf("   jobs: %" PRIu64 " submitted, %" PRIu64 " completed, %" PRIu64
		       " failed; device accesses after an invalidation: %" PRIu64 "\n",
		       (uint64_t)st.jobs_submitted, (uint64_t)st.jobs_completed,
		       (uint64_t)st.jobs_failed,
		       (uint64_t)st.access_after_invalidate);
		if (st.access_after_invalidate)
			oops("the device used memory the kernel had taken back");
	}
	tm_unbind(dev, h);
	munmap(jb, (n / 2) * psz);
}

/*
 * 14: a job of the fault model (TEST_MIRROR_SUBMIT_FAULTABLE). A FILL of
 * pages the CPU never touched: SUBMIT faults nothing; the device faults,
 * the driver's fault handler makes the faulting page and the next ones of
 * the range valid (fault_batch_pages at a time), the device replays, and
 * the job reports its end in a user fence. Then a STREAM of this model
 * loses a page to munmap: the invalidation removes the entry and waits for
 * the engine's TLB-flush acknowledgment (never for the job); the job
 * faults on the page, which cannot be resolved, and its user fence says
 * -EFAULT.
 */
static void show_fault_job(void)
{
	const uint64_t v = 0xfeedfacecafef00dull, v2 = 0x0f1e2d3c4b5a6978ull;
	const unsigned int n = 32, sn = 64, lost = sn / 2;
	struct drm_test_mirror_stats st0, st;
	struct drm_test_mirror_ufence *uf;
	struct drm_test_mirror_submit job = {
		.op = TEST_MIRROR_JOB_FILL,
		.flags = TEST_MIRROR_SUBMIT_FAULTABLE,
		.size = n * psz,
		.value = v,
		.ufence_value = 1,
	};
	uint64_t batch = 0, want, t0, t1, t2, deadline;
	uint32_t hf = 0, hb = 0, hs = 0;
	uint8_t *fb = NULL, *sb = NULL;
	unsigned int i;
	int ret;

	printf("14. A job of the fault model: the device faults, and the driver resolves it\n");
	if (tm_param_get("fault_batch_pages", &batch) || !batch) {
		oops("module parameter fault_batch_pages: not readable");
		return;
	}
	/* one mapping, the fence's page first: no hole of buf's is that large */
	uf = tm_map(1 + n, PROT_READ | PROT_WRITE, 0);
	if (!uf) {
		oops("mmap: %s", tm_errname(-errno));
		goto out;
	}
	fb = (uint8_t *)uf + psz;
	memset(uf, 0, psz);
	/* the fence's page valid beforehand: the counts below are the FILL's */
	ret = tm_bind(dev, uf, psz, TEST_MIRROR_BIND_READ | TEST_MIRROR_BIND_WRITE |
		      TEST_MIRROR_BIND_PREFAULT, &hf);
	if (!ret)
		ret = tm_bind(dev, fb, n * psz, TEST_MIRROR_BIND_READ |
			      TEST_MIRROR_BIND_WRITE, &hb);
	if (ret) {
		oops("bind: %s", tm_errname(ret));
		goto out;
	}
	shown = fb;
	shown_pages = NPAGES;
	printf("   CPU: mmap %u new pages, never touched, bind them read-write; a page for the\n"
	       "        job's user fence, bound too. The device table (first %u pages):\n",
	       n, NPAGES);
	expect_table(". . . . . . . .");
	if (tm_stats(dev, &st0, false)) {
		oops("stats");
		goto out;
	}
	job.dst = (uintptr_t)fb;
	job.ufence_addr = (uintptr_t)uf;
	t0 = tm_now_ns();
	ret = tm_submit(dev, &job);
	if (ret) {
		oops("SUBMIT: %s", tm_errname(ret));
		goto out;
	}
	printf("   SUBMIT (FAULTABLE) of a FILL of the %u pages with 0x%016" PRIx64 " returned at once,\n"
	       "   faulting nothing; WAIT_UFENCE waits for the device to write the user fence\n",
	       n, v);
	ret = tm_wait_ufence(dev, &uf->seqno, 1, 10000000000LL);
	t1 = tm_now_ns();
	if (ret) {
		oops("WAIT_UFENCE: %s", tm_errname(ret));
		goto out;
	}
	printf("        the fence: seqno %" PRIu64 ", error %d (%s), %.3f ms after SUBMIT\n",
	       (uint64_t)uf->seqno, uf->error, uf->error ? tm_errname(uf->error) : "done",
	       (double)(t1 - t0) / 1e6);
	if (uf->error)
		oops("expected the job to complete");
	if (tm_stats(dev, &st, false)) {
		oops("stats");
		goto out;
	}
	want = (n + batch - 1) / batch;
	printf("        STATS: device faults +%" PRIu64 ", fault batches +%" PRIu64
	       ", pages made valid +%" PRIu64 "\n"
	       "        (fault_batch_pages=%" PRIu64 ": each fault made its page and the next %" PRIu64
	       " of the range\n"
	       "         valid, then the device replayed the access: %u pages, %" PRIu64
	       " faults)\n",
	       (uint64_t)(st.device_faults - st0.device_faults),
	       (uint64_t)(st.fault_batches - st0.fault_batches),
	       (uint64_t)(st.fault_pages - st0.fault_pages), batch, batch - 1,
	       n, want);
	if (st.device_faults - st0.device_faults != want ||
	    st.fault_batches - st0.fault_batches != want ||
	    st.fault_pages - st0.fault_pages != n)
		oops("expected +%" PRIu64 ", +%" PRIu64 ", +%u", want, want, n);
	expect_table("W W W W W W W W");
	for (i = 0; i < n * psz / 8 && ((uint64_t *)fb)[i] == v; i++)
		;
	printf("        the CPU sees the job's value in all %u pages: %s\n", n,
	       i == n * psz / 8 ? "yes" : "NO");
	if (i != n * psz / 8)
		oops("word %u is 0x%016" PRIx64, i, ((uint64_t *)fb)[i]);
	shown = buf;
	shown_pages = NPAGES;

	printf("   A STREAM of the fault model writes 0x%016" PRIx64 " into %u new pages for 5 s;\n"
	       "   the CPU unmaps one page while it runs\n", v2, sn);
	sb = tm_map(sn, PROT_READ | PROT_WRITE, 0);
	if (!sb) {
		oops("mmap: %s", tm_errname(-errno));
		goto out;
	}
	ret = tm_bind(dev, sb, sn * psz, TEST_MIRROR_BIND_READ |
		      TEST_MIRROR_BIND_WRITE, &hs);
	if (ret) {
		oops("bind: %s", tm_errname(ret));
		goto out;
	}
	memset(&job, 0, sizeof(job));
	job.op = TEST_MIRROR_JOB_STREAM;
	job.flags = TEST_MIRROR_SUBMIT_FAULTABLE;
	job.dst = (uintptr_t)sb;
	job.size = sn * psz;
	job.value = v2;
	job.duration_ms = 5000;
	job.ufence_addr = (uintptr_t)uf;
	job.ufence_value = 2;
	tm_stats(dev, &st0, false);
	ret = tm_submit(dev, &job);
	if (ret) {
		oops("SUBMIT: %s", tm_errname(ret));
		goto out;
	}
	/* one whole pass: the value in the last page */
	deadline = tm_now_ms() + 4000;
	while (((volatile uint64_t *)(sb + (sn - 1) * psz))[0] != v2 &&
	       tm_now_ms() < deadline)
		;
	if (((volatile uint64_t *)(sb + (sn - 1) * psz))[0] != v2) {
		oops("the CPU does not see the STREAM's value in page %u", sn - 1);
		goto out;
	}
	printf("   the STREAM went over all %u pages once, faulting them in (the CPU sees its\n"
	       "   value in the last)\n", sn);
	t0 = tm_now_ns();
	if (munmap(sb + lost * psz, psz))
		oops("munmap: %s", tm_errname(-errno));
	t1 = tm_now_ns();
	printf("   CPU: munmap page %u while the job runs: munmap took %.3f ms\n"
	       "        (the driver removed the entry, asked the engine to flush its TLB and\n"
	       "         waited for the acknowledgment, not for the job)\n",
	       lost, (double)(t1 - t0) / 1e6);
	ret = tm_wait_ufence(dev, &uf->seqno, 2, 10000000000LL);
	t2 = tm_now_ns();
	if (ret) {
		oops("WAIT_UFENCE: %s", tm_errname(ret));
		goto out;
	}
	printf("   the job's user fence: seqno %" PRIu64 ", error %d (%s), %.3f ms after munmap,\n"
	       "   long before its 5 s: its fault on page %u could not be resolved\n",
	       (uint64_t)uf->seqno, uf->error, uf->error ? tm_errname(uf->error) : "done",
	       (double)(t2 - t1) / 1e6, lost);
	if (uf->error != -EFAULT)
		oops("expected the job to end with -EFAULT");
	if (tm_stats(dev, &st, false)) {
		oops("stats");
		goto out;
	}
	printf("   STATS: device faults +%" PRIu64 ", TLB flushes +%" PRIu64
	       "; device accesses after an invalidation: %" PRIu64 "\n",
	       (uint64_t)(st.device_faults - st0.device_faults),
	       (uint64_t)(st.tlb_flushes - st0.tlb_flushes),
	       (uint64_t)st.access_after_invalidate);
	if (st.tlb_flushes == st0.tlb_flushes)
		oops("expected the munmap to flush the engine's TLB");
	if (st.access_after_invalidate)
		oops("the device used memory the kernel had taken back");
out:
	shown = buf;
	shown_pages = NPAGES;
	if (hs)
		tm_unbind(dev, hs);
	if (hb)
		tm_unbind(dev, hb);
	if (hf)
		tm_unbind(dev, hf);
	if (sb) {
		munmap(sb, lost * psz);
		munmap(sb + (lost + 1) * psz, (sn - lost - 1) * psz);
	}
	if (uf)
		munmap(uf, (1 + n) * psz);
}

/* A device access of pages [first, first + n); prints its outcome. */
static int device(bool write, unsigned int first, unsigned int n, void *data,
		  int want)
{
	struct tm_result res = { 0 };
	int ret;

	if (write)
		ret = tm_write(dev, page(first), n * psz, data, &res);
	else
		ret = tm_read(dev, page(first), n * psz, data, &res);
	printf("        device %s %s: ", write ? "writes" : "reads",
	       range_str((uintptr_t)page(first), (uintptr_t)page(first + n)));
	if (ret)
		printf("fails with %s\n", tm_errname(ret));
	else
		printf("ok, %" PRIu64 " device fault%s, %" PRIu64
		       " page%s faulted in\n", (uint64_t)res.faults,
		       res.faults == 1 ? "" : "s", (uint64_t)res.faulted_pages,
		       res.faulted_pages == 1 ? "" : "s");
	if (ret != want)
		oops("expected %s", tm_errname(want));
	return ret;
}

static void label(unsigned int i, const char *who)
{
	snprintf((char *)page(i), psz, "page %u: written by the %s", i, who);
}

int main(void)
{
	struct drm_test_mirror_migrate mig = { 0 };
	struct drm_test_mirror_stats st;
	char path[64];
	bool vma_downgrade;
	pid_t child;
	uint8_t *tmp;
	uint32_t h;
	unsigned int i;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	psz = tm_page_size();
	dev = tm_open_dev(path, sizeof(path));
	if (dev < 0) {
		fprintf(stderr, "tm_demo: no test_mirror device: %s (is test_mirror.ko loaded?)\n",
			tm_errname(dev));
		return 1;
	}
	ret = tm_stats(dev, &st, false);
	if (ret) {
		fprintf(stderr, "tm_demo: stats: %s\n", tm_errname(ret));
		return 1;
	}
	vma_downgrade = st.caps & TEST_MIRROR_CAP_VMA_DOWNGRADE;
	tmp = calloc(NPAGES, psz);
	buf = tm_map(NPAGES, PROT_READ | PROT_WRITE, 0);
	shown = buf;
	shown_pages = NPAGES;
	if (!tmp || !buf) {
		perror("tm_demo: memory");
		return 1;
	}

	printf("test_mirror demo: a mock GPU that shares this process's memory through HMM\n");
	printf("Kernel %s, device %s, page size %zu\n", tm_kernel_release(), path, psz);
	printf("The device keeps its own page table, filled on demand from the CPU's\n");
	printf("(hmm_range_fault). Whenever the CPU's page table changes, the kernel\n");
	printf("sends the driver an mmu_notifier event, and the driver updates its table.\n");
	printf("Device table, one character per page:\n");
	printf("  W read-write entry   R read-only entry   . no entry (next access faults)\n");
	printf("  D dropped: the memory was unmapped, device access fails from now on\n");
	printf("  X the device holds the page exclusive (atomics)   V the page is in device memory\n");
	printf("Driver policy: %s; keeps read-only entries on mprotect: %s\n\n",
	       st.caps & TEST_MIRROR_CAP_EVENT_AWARE ? "event-aware" : "event-blind",
	       vma_downgrade ? "yes (kernel < 6.3)" : "no (kernel >= 6.3)");

	printf("1. CPU: mmap %u pages, write \"page N: written by the CPU\" in each\n",
	       NPAGES);
	for (i = 0; i < NPAGES; i++)
		label(i, "CPU");
	ret = tm_bind(dev, buf, NPAGES * psz, TEST_MIRROR_BIND_READ |
		      TEST_MIRROR_BIND_WRITE, &h);
	if (ret) {
		printf("   bind: %s\n", tm_errname(ret));
		return 1;
	}
	printf("   CPU: bind the %u pages to the device, read-write (handle %u)\n",
	       NPAGES, h);
	show_table();

	printf("2. The device reads pages 0-3 (the CPU does nothing)\n");
	if (!device(false, 0, 4, tmp, 0)) {
		printf("        the device sees: \"%s\"\n", (char *)tmp);
		if (strcmp((char *)tmp, "page 0: written by the CPU"))
			oops("wrong data");
	}
	show_table();
	printf("        (W after a read: the CPU maps these pages writable, and so may the device)\n");

	printf("3. The device writes \"page N: written by the device\" to pages 4-7\n");
	for (i = 4; i < NPAGES; i++)
		snprintf((char *)tmp + (i - 4) * psz, psz,
			 "page %u: written by the device", i);
	if (!device(true, 4, 4, tmp, 0)) {
		printf("        the CPU sees: \"%s\"\n", (char *)page(4));
		if (strcmp((char *)page(4), "page 4: written by the device"))
			oops("wrong data");
	}
	show_table();

	printf("4. CPU: munmap pages 6-7 (the memory is gone)\n");
	if (munmap(page(6), 2 * psz))
		oops("munmap: %s", tm_errname(errno));
	show_events(TEST_MIRROR_EVENT_UNMAP, TEST_MIRROR_ACTION_DROP);
	show_table();
	device(false, 6, 1, tmp, -EFAULT);
	printf("        (correct: even new memory mapped there would not be the same memory)\n");

	printf("5. CPU: mprotect pages 4-5 read-only\n");
	if (mprotect(page(4), 2 * psz, PROT_READ))
		oops("mprotect: %s", tm_errname(errno));
	show_events(TEST_MIRROR_EVENT_PROTECTION_VMA,
		    vma_downgrade ? TEST_MIRROR_ACTION_DOWNGRADE :
		    TEST_MIRROR_ACTION_INVALIDATE);
	show_table();
	memset(tmp, 'X', psz);
	device(true, 4, 1, tmp, -EPERM);
	printf("        (correct: the device may not write what the CPU may not write)\n");
	if (vma_downgrade)
		printf("        (6.1 tells the driver the pages stay readable: no need to refault)\n");
	else
		printf("        (this kernel does not say if the pages stay readable: refault)\n");
	if (!device(false, 4, 1, tmp, 0)) {
		printf("        the device sees: \"%s\"\n", (char *)tmp);
		if (strcmp((char *)tmp, "page 4: written by the device"))
			oops("wrong data");
	}

	printf("6. CPU: madvise pages 0-1 MADV_DONTNEED (the CPU gives the pages back)\n");
	if (madvise(page(0), 2 * psz, MADV_DONTNEED))
		oops("madvise: %s", tm_errname(errno));
	show_events(TEST_MIRROR_EVENT_CLEAR, TEST_MIRROR_ACTION_INVALIDATE);
	show_table();
	memset(tmp, 'X', psz);
	if (!device(false, 0, 1, tmp, 0)) {
		bool zero = tm_check_zero(tmp, psz) < 0;

		printf("        the device sees %s\n", zero ?
		       "zeros: fresh memory, as the CPU would" : "old data");
		if (!zero)
			oops("expected zeros");
	}
	show_table();
	printf("        (R: a fresh page is the shared zero page, read-only until written)\n");

	printf("7. CPU: fork (parent and child now share the pages copy-on-write)\n");
	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	show_events_n(TEST_MIRROR_EVENT_PROTECTION_PAGE,
		      TEST_MIRROR_ACTION_DOWNGRADE, 0);
	show_table();
	device(false, 2, 1, tmp, 0);
	printf("        (reads go on from the shared pages; a write would have to refault)\n");
	printf("   CPU: the parent writes page 2 (copy-on-write: it gets a new page)\n");
	label(2, "parent after fork");
	show_events(TEST_MIRROR_EVENT_CLEAR, TEST_MIRROR_ACTION_INVALIDATE);
	show_table();
	if (!device(false, 2, 1, tmp, 0)) {
		printf("        the device sees: \"%s\"\n", (char *)tmp);
		if (strcmp((char *)tmp, "page 2: written by the parent after fork"))
			oops("wrong data");
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);

	printf("8. CPU: echo 4 > /proc/self/clear_refs (start soft-dirty tracking)\n");
	ret = tm_write_str("/proc/self/clear_refs", "4");
	if (ret)
		oops("clear_refs: %s", tm_errname(ret));
	show_events(TEST_MIRROR_EVENT_SOFT_DIRTY, TEST_MIRROR_ACTION_DOWNGRADE);
	show_table();
	snprintf((char *)tmp, psz, "page 2: written by the device");
	device(true, 2, 1, tmp, 0);
	printf("        the CPU's pagemap shows page 2 soft-dirty: %s\n",
	       soft_dirty(page(2)) == 1 ? "yes" : "NO");
	if (soft_dirty(page(2)) != 1)
		oops("the device write did not make the page soft-dirty");
	printf("        (the device write refaulted with write intent, as a CPU write would)\n");
	show_table();

	printf("9. The device migrates pages 2-3 to new memory (MIGRATE ioctl)\n");
	mig.addr = (uintptr_t)page(2);
	mig.size = 2 * psz;
	ret = tm_ioctl(dev, DRM_IOCTL_TEST_MIRROR_MIGRATE, &mig);
	if (ret)
		oops("migrate: %s", tm_errname(ret));
	show_events(TEST_MIRROR_EVENT_MIGRATE, TEST_MIRROR_ACTION_SKIP);
	show_table();
	device(false, 2, 2, tmp, 0);
	printf("        (the kernel named this file as the migration's owner: the driver\n"
	       "         skipped the invalidation and pointed its entries at the new pages)\n");

	printf("10. Another process binds its own buffer, and exits with the file open\n");
	show_exit();

	show_atomic_race();

	show_devmem();
	show_devmem_huge();

	show_job();

	show_fault_job();

	printf("15. CPU: unbind, close\n");
	if (tm_stats(dev, &st, false))
		oops("stats");
	ret = tm_unbind(dev, h);
	if (ret)
		oops("unbind: %s", tm_errname(ret));
	close(dev);
	printf("   events received:");
	for (i = 0; i <= TEST_MIRROR_EVENT_EXCLUSIVE; i++)
		printf(" %s %" PRIu64 "%s", tm_event_name(i),
		       (uint64_t)st.events[i], i == TEST_MIRROR_EVENT_EXCLUSIVE ? "\n" : ",");
	printf("   device faults: %" PRIu64 " read, %" PRIu64 " write (of them, %" PRIu64
	       " raised by fault-model jobs)\n", (uint64_t)st.read_faults,
	       (uint64_t)st.write_faults, (uint64_t)st.device_faults);

	if (unexpected) {
		printf("\n%u step(s) did not behave as expected.\n", unexpected);
		return 1;
	}
	printf("\nEvery step behaved as expected.\n");
	return 0;
}
