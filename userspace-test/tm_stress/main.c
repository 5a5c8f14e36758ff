// SPDX-License-Identifier: GPL-2.0
/*
 * tm_stress: race stress of the mirror against CPU page-table changes.
 *
 * Usage: tm_stress [--seconds N] [--seed N] [harness options] [tests]
 *   --seconds N   how long the race runs (default 30)
 *
 * Memory: slots of anonymous memory (8 of 16 pages, plus one 2 MiB slot
 * that starts as a transparent huge page), each bound in two device files.
 * Every 8-byte word of a page says what wrote it and where:
 *
 *	word = id << 32 | (address >> 12 & 0xfffff) << 9 | word index
 *
 * and a zero word is a zero page. Ids come from one counter: a CPU fill of a
 * new mapping takes one, and so does every device write.
 *
 * Threads:
 *   mutators  munmap+mmap (new zero pages, filled with a new id), mmap over
 *             the range, mremap away and back, mprotect RO / NONE and back,
 *             MADV_DONTNEED, MADV_FREE, unbind+bind; each slot belongs to
 *             one mutator, which rebinds after changes that drop tracking
 *   soft ops  MADV_PAGEOUT (reclaim through zram), clear_refs (soft-dirty),
 *             fork (the child checks its copy and that the device refuses
 *             it), none of which may make a device access fail
 *   readers   device READ of random ranges through either file
 *   writers   device WRITE of a new id through either file, one at a time
 *             per slot
 *   watchdog  no progress for 60 s is a hang
 * Readers and writers page their own buffers out now and then (the buffers
 * are not page aligned), so that device accesses take the path where the
 * copy stops part way through a page, the buffer is faulted in and the copy
 * retried, while the mirrored page may change meanwhile. Two tests after
 * the race pin that path down deterministically: a device write that fails
 * at a page leaves exactly the part copied before its source ran out, and
 * that part is dirty (reclaim of a MADV_FREE'd page keeps it).
 *
 * The model keeps, per page, the set of contents it may hold now, and a
 * history of when each entered the set. The invariants:
 *
 *   - a device read returns, for every page, one content that was allowed
 *     when the read started or became allowed while it ran: never the data
 *     of a page the CPU had already replaced (stale), never another
 *     address's data (misdirected), never a child's private copy. Only a
 *     device write of that page in flight (through the other file, whose
 *     lock is not the reader's), and with the event-blind policy a CPU
 *     fill of a new mapping there, may show as a byte mix of allowed
 *     contents;
 *   - a device write that overlapped no change of its slot succeeded, and
 *     the CPU sees exactly its data there at once; a device write that
 *     failed shows up nowhere beyond the pages it reports done, except that
 *     the page it failed at may keep the start of it (the uAPI's DMA cut
 *     short: its source ran out part way through that page): the first
 *     bytes that write's content, the rest one content allowed before;
 *   - a page that nothing is changing holds exactly one content, whole:
 *     every agent writes whole pages, and the event-aware policy keeps the
 *     device away from a new mapping until it is filled and bound again
 *     (with the blind policy a device write may meet a CPU fill, and leave
 *     a mix of the two);
 *   - a device read that overlapped no change of its slot succeeded;
 *   - a device read or write, or a PREFAULT bind, fails with -EBUSY (the
 *     driver gave up on a range that kept changing) only when an
 *     invalidation reached its file while it ran: the file's STATS
 *     (events[] summed, plus retries), read just before the call and just
 *     after it, moved. An -EBUSY with nothing moving is a spurious -EBUSY
 *     or a livelock, whatever else the slot did;
 *   - MADV_FREE'd pages the device wrote stay written after reclaim;
 *   - a fork child never sees a device write that started after fork()
 *     returned in the parent, and gets -EACCES from the device;
 *   - at the end, every page holds an allowed content and the device reads
 *     what the CPU reads;
 *   - nothing hangs.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tm_stress.h"

static unsigned int opt_seconds = 30;
static uint64_t opt_seed = 1;

int dev[2];
bool aware;

/* ------------------------------------------------------------------------ */
/* Counters and violations                                                   */
/* ------------------------------------------------------------------------ */

static const char *const ctr_name[C_MAX] = {
	"munmap+mmap", "mmap-over", "mremap", "mprotect-RO", "mprotect-NONE",
	"DONTNEED", "FREE", "rebind", "PAGEOUT", "clear_refs", "fork",
	"device-reads", "device-read-errors", "device-writes",
	"device-write-errors", "pages-checked", "clean-window-reads",
	"clean-window-writes(verified)", "fork-child-pages-checked",
	"pages-unchecked(history-lost)", "torn-pages",
	"EBUSY", "buffer-pageouts", "failed-writes-that-may-leave-a-part",
	"pages-seen-with-a-failed-write's-part",
};

_Atomic uint64_t *ctr;
_Atomic int stop;
_Atomic int failed;
char fail_msg[1024];
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;
_Atomic uint64_t progress;

void violation(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&fail_lock);
	if (!failed) {
		va_start(ap, fmt);
		vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
		va_end(ap);
		failed = 1;
		stop = 1;
	}
	pthread_mutex_unlock(&fail_lock);
}

void inc(enum ctr c)
{
	atomic_fetch_add(&ctr[c], 1);
}

/*
 * Invalidation callbacks file dev[fdi] received (STATS events[], summed)
 * plus the fault rounds they made it repeat (retries): what must move while
 * a call runs for its -EBUSY to be believed (see busy_check()).
 */
uint64_t races(int fdi)
{
	struct drm_test_mirror_stats st;
	unsigned int e;
	uint64_t n;
	int ret = tm_stats(dev[fdi], &st, false);

	if (ret) {
		violation("STATS (file %d): %s", fdi, tm_errname(ret));
		return 0;
	}
	n = st.retries;
	for (e = 0; e < TEST_MIRROR_EVENT_MAX; e++)
		n += st.events[e];
	return n;
}

/*
 * A call through file fdi returned -EBUSY; before is races(fdi) from just
 * before it. The driver gives up with -EBUSY only on a range that kept
 * changing (hmm_range_fault() kept finding its range invalidated for a
 * second, or a page was refaulted again and again): every such round
 * follows an invalidation callback of that file, which counts in STATS.
 * Nothing counted while the call ran means no invalidation raced it.
 */
void busy_check(int fdi, uint64_t before, const char *fmt, ...)
{
	uint64_t after = races(fdi);
	char what[256];
	va_list ap;

	inc(C_EBUSY);
	if (after != before)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	violation("%s failed with EBUSY though no invalidation reached file %d while it ran (STATS events + retries stayed at %llu): a spurious EBUSY, or a livelock",
		  what, fdi, (unsigned long long)before);
}

_Atomic uint32_t next_id = 1;

uint32_t new_id(void)
{
	return atomic_fetch_add(&next_id, 1);
}

/* The random numbers of each thread (xorshift64). */
uint64_t xrand(uint64_t *r)
{
	*r ^= *r << 13;
	*r ^= *r >> 7;
	*r ^= *r << 17;
	return *r;
}

/* ------------------------------------------------------------------------ */
/* Setup, final check                                                        */
/* ------------------------------------------------------------------------ */

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
}

static void print_counters(void)
{
	char line[1024];
	size_t n = 0;
	int c;

	tm_diag("tm_stress: %u s, %s policy, %u slots (%s), seed %llu",
		opt_seconds, aware ? "event-aware" : "event-blind", nslots,
		slots[nslots - 1].huge ? "8 x 16 pages + 1 x 2 MiB THP" :
		"8 x 16 pages", (unsigned long long)opt_seed);
	for (c = 0; c < C_MAX; c++) {
		n += snprintf(line + n, sizeof(line) - n, "%s%s=%llu",
			      n ? " " : "", ctr_name[c],
			      (unsigned long long)ctr[c]);
		if (n > 200 || c == C_MAX - 1) {
			tm_diag("  %s", line);
			n = 0;
		}
	}
	tm_diag("tm_stress totals: %llu CPU-side operations, %llu device operations, %llu page checks",
		(unsigned long long)(ctr[C_REMAP] + ctr[C_MAPOVER] + ctr[C_MREMAP] +
				     ctr[C_MPROT_RO] + ctr[C_MPROT_NONE] +
				     ctr[C_DONTNEED] + ctr[C_FREE] + ctr[C_REBIND] +
				     ctr[C_PAGEOUT] + ctr[C_CLEARREFS] + ctr[C_FORK]),
		(unsigned long long)(ctr[C_READ] + ctr[C_WRITE]),
		(unsigned long long)(ctr[C_PAGES_CHECKED] + ctr[C_FORK_PAGES] +
				     ctr[C_CLEAN_WRITES]));
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
	nslots = NSLOTS_SMALL;
	for (i = 0; i < NSLOTS_SMALL; i++)
		slot_init(&slots[i], SMALL_PAGES, false);
	if (tm_thp_usable())
		slot_init(&slots[nslots++], HUGE_SLOT_PAGES, true);

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
	    !ctr[C_FORK])
		FAIL("the stress did too little to mean anything (%u s)", opt_seconds);
}

/*
 * A device write whose source stops being readable part way through a page
 * fails at that page (-EFAULT, pages = 0): the start of the page holds what
 * was copied, as after a DMA cut short, the rest and the next page are
 * untouched, and the page is dirty: MADV_FREE made it clean and lazily
 * freeable, so only the driver's set_page_dirty() keeps reclaim from
 * dropping the written part.
 */
TEST(failed_write_keeps_its_part_dirty)
{
	uint8_t *p = tm_must_map_pattern(2, 0x6161);
	uint8_t *src = tm_map(3, PROT_READ | PROT_WRITE, 0);
	uint8_t *want = malloc(2 * PAGE_SZ);
	struct tm_result res = { 0 };
	size_t cut = PAGE_SZ - 16;

	ASSERT_TRUE(src != NULL && want != NULL);
	tm_must_bind(fd, p, 2 * PAGE_SZ, TEST_MIRROR_BIND_READ |
		     TEST_MIRROR_BIND_WRITE | TEST_MIRROR_BIND_PREFAULT);
	/* 16 bytes short of a page readable at src + 16, then a hole */
	memset(src, 0x77, 3 * PAGE_SZ);
	ASSERT_SYS(mprotect(src + PAGE_SZ, 2 * PAGE_SZ, PROT_NONE));
	memcpy(want, p, 2 * PAGE_SZ);
	memset(want, 0x77, cut);
	ASSERT_SYS(madvise(p, PAGE_SZ, MADV_FREE));
	ASSERT_ERRNO(tm_write(fd, p, 2 * PAGE_SZ, src + 16, &res), -EFAULT);
	ASSERT_EQ(res.pages, 0);
	ASSERT_EQ(memcmp(p, want, 2 * PAGE_SZ), 0);
	ASSERT_SYS(madvise(p, 2 * PAGE_SZ, MADV_PAGEOUT));
	if (memcmp(p, want, 2 * PAGE_SZ))
		tm_diag("after reclaim, byte 0 is %#x: the written part was dropped",
			p[0]);
	ASSERT_EQ(memcmp(p, want, 2 * PAGE_SZ), 0);
	free(want);
}

struct uffd_arg {
	int uffd;
	uint8_t *target;
	int err;
};

/*
 * Serve the one missing-page fault of the device write's source: first
 * take write access to the mirrored page away (the device loses its
 * writable entry), then supply the source page.
 */
static void *uffd_serve(void *arg)
{
	struct uffd_arg *u = arg;
	struct uffdio_zeropage zp = { 0 };
	struct uffd_msg msg;

	if (read(u->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT) {
		u->err = 1;
		return NULL;
	}
	if (mprotect(u->target, PAGE_SZ, PROT_READ))
		u->err = 2;
	zp.range.start = msg.arg.pagefault.address & ~(uint64_t)(PAGE_SZ - 1);
	zp.range.len = PAGE_SZ;
	if (ioctl(u->uffd, UFFDIO_ZEROPAGE, &zp))
		u->err = 3;
	return NULL;
}

/*
 * The interleaving of the 6.12 finding, made deterministic with
 * userfaultfd: the copy of a device write stops part way through the page
 * (the rest of its source is missing); while the driver faults the source
 * in, the CPU makes the page read-only (PROTECTION_VMA: the writable entry
 * goes); the retry cannot get write access again and the write fails with
 * -EPERM, pages = 0. The start of the page holds the part copied before
 * the source ran out, exactly, and the rest the CPU's data. Before the
 * driver dirtied such a part, reclaim could drop it after a device read had
 * returned it: the 6.12 finding.
 */
TEST(write_loses_its_entry_while_faulting_its_source)
{
	uint8_t *p = tm_must_map_pattern(1, 0x6262);
	uint8_t *src = tm_map(2, PROT_READ | PROT_WRITE, 0);
	struct tm_result res = { 0 };
	struct uffd_arg u = { 0 };
	pthread_t t;
	uint8_t *want = malloc(PAGE_SZ);
	int ret;

	ASSERT_TRUE(src != NULL && want != NULL);
	tm_must_bind(fd, p, PAGE_SZ, TEST_MIRROR_BIND_READ |
		     TEST_MIRROR_BIND_WRITE | TEST_MIRROR_BIND_PREFAULT);
	memset(src, 0x77, PAGE_SZ);	/* the second page stays missing */
	memcpy(want, p, PAGE_SZ);
	memset(want, 0x77, PAGE_SZ - 16);
	u.uffd = tm_must_uffd_missing(src + PAGE_SZ, PAGE_SZ);
	u.target = p;
	ASSERT_EQ(pthread_create(&t, NULL, uffd_serve, &u), 0);
	ret = tm_write(fd, p, PAGE_SZ, src + 16, &res);
	pthread_join(t, NULL);
	ASSERT_EQ(u.err, 0);
	ASSERT_ERRNO(ret, -EPERM);
	ASSERT_EQ(res.pages, 0);
	ASSERT_EQ(memcmp(p, want, PAGE_SZ), 0);
	free(want);
}

/* Afterwards, a new file works as on day one. */
TEST(device_still_works)
{
	uint8_t *p = tm_must_map_pattern(8, 0x5151), *buf = malloc(8 * PAGE_SZ);
	struct tm_result res;

	tm_must_bind(fd, p, 8 * PAGE_SZ, TEST_MIRROR_BIND_READ | TEST_MIRROR_BIND_WRITE);
	ASSERT_OK(tm_read(fd, p, 8 * PAGE_SZ, buf, &res));
	ASSERT_EQ(res.pages, 8);
	ASSERT_PATTERN(buf, 8 * PAGE_SZ, 0x5151);
	tm_fill(buf, 8 * PAGE_SZ, 0x5252);
	ASSERT_OK(tm_write(fd, p, 8 * PAGE_SZ, buf, &res));
	ASSERT_PATTERN(p, 8 * PAGE_SZ, 0x5252);
}

/* Before the tests: the shared counters; the timeout follows --seconds. */
static int stress_setup(struct tm_run *run)
{
	if (!opt_seconds)
		opt_seconds = 1;
	ctr = mmap(NULL, C_MAX * sizeof(*ctr), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctr == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	if (!run->timeout_given)
		run->timeout = opt_seconds + 120;
	return -1;
}

static const struct tm_option stress_options[] = {
	{ "seconds", TM_OPT_UINT, &opt_seconds, "N",
	  "how long the race runs (default 30)" },
	{ "seed", TM_OPT_U64, &opt_seed, "N", "seed of the random choices" },
	{ NULL },
};

TM_PROGRAM(.options = stress_options, .setup = stress_setup);
TM_MAIN()
