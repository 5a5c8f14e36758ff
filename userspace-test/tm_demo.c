// SPDX-License-Identifier: GPL-2.0
/*
 * tm_demo: what test_mirror does, step by step, for someone who has never
 * seen HMM.
 *
 * The program maps a small buffer, lets the mock device read and write it,
 * then changes the buffer from the CPU side (munmap, mprotect,
 * MADV_DONTNEED). After each change it prints the event the kernel sent to
 * the driver, what the driver did about it, and the device's page table.
 *
 * Exit status: 0 if every step behaved as the contract says, 1 otherwise.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "tm_lib.h"

#define NPAGES	8

static int dev;
static uint8_t *buf;
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

static void show_table(void)
{
	uint8_t snap[NPAGES];
	char map[2 * NPAGES];
	int ret;

	ret = tm_snapshot(dev, buf, NPAGES * psz, snap);
	if (ret) {
		oops("snapshot: %s", tm_errname(ret));
		return;
	}
	printf("        device table: %s\n", tm_snap_str(snap, NPAGES, map));
}

/* "pages 6-7" when the range is inside the buffer, else the addresses. */
static const char *range_str(uint64_t start, uint64_t end)
{
	static char s[64];
	uint64_t b = (uintptr_t)buf, e = b + NPAGES * psz;

	if (start >= b && end <= e && end > start) {
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
 * and check that exactly one of them is `event` with the action `action`.
 */
static void show_events(unsigned int event, unsigned int action)
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

		printf("        kernel event: %-14s on %-9s -> driver: %s, %" PRIu64
		       " entr%s %s\n", tm_event_name(rec[i].event),
		       range_str(rec[i].start, rec[i].end),
		       tm_action_name(rec[i].action), (uint64_t)rec[i].entries,
		       rec[i].entries == 1 ? "y" : "ies", verb);
		if (rec[i].event == event && rec[i].action == action)
			seen++;
	}
	if (seen != 1)
		oops("expected one %s event handled with %s, saw %u",
		     tm_event_name(event), tm_action_name(action), seen);
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
	struct drm_test_mirror_stats st;
	char path[64];
	bool vma_downgrade;
	struct utsname u;
	uint8_t *tmp;
	uint32_t h;
	unsigned int i;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	psz = tm_page_size();
	uname(&u);
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
	if (!tmp || !buf) {
		perror("tm_demo: memory");
		return 1;
	}

	printf("test_mirror demo: a mock GPU that shares this process's memory through HMM\n");
	printf("Kernel %s, device %s, page size %zu\n", u.release, path, psz);
	printf("The device keeps its own page table, filled on demand from the CPU's\n");
	printf("(hmm_range_fault). Whenever the CPU's page table changes, the kernel\n");
	printf("sends the driver an mmu_notifier event, and the driver updates its table.\n");
	printf("Device table, one character per page:\n");
	printf("  W read-write entry   R read-only entry   . no entry (next access faults)\n");
	printf("  D dropped: the memory was unmapped, device access fails from now on\n");
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

	printf("7. CPU: unbind, close\n");
	if (tm_stats(dev, &st, false))
		oops("stats");
	ret = tm_unbind(dev, h);
	if (ret)
		oops("unbind: %s", tm_errname(ret));
	close(dev);
	printf("   events received: UNMAP %" PRIu64 ", PROTECTION_VMA %" PRIu64
	       ", CLEAR %" PRIu64 "; device faults: %" PRIu64 " read, %" PRIu64
	       " write\n",
	       (uint64_t)st.events[TEST_MIRROR_EVENT_UNMAP],
	       (uint64_t)st.events[TEST_MIRROR_EVENT_PROTECTION_VMA],
	       (uint64_t)st.events[TEST_MIRROR_EVENT_CLEAR],
	       (uint64_t)st.read_faults, (uint64_t)st.write_faults);

	if (unexpected) {
		printf("\n%u step(s) did not behave as expected.\n", unexpected);
		return 1;
	}
	printf("\nEvery step behaved as expected.\n");
	return 0;
}
