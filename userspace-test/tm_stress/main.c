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
 *   jobs      COPY jobs on the device's engine (SUBMIT) from random ranges
 *             to a buffer of their own, in either job model (pre-validated,
 *             or faulting and replaying), checked like device reads: the
 *             engine reads the table without the driver's locks, so a
 *             device write in flight through either file may show in part
 *   writers   device WRITE of a new id through either file, one at a time
 *             per slot
 *   devmem    where the device has memory of its own: DEVMEM of random
 *             ranges to the device and back through either file; data is
 *             the same wherever it lives, so every check stays exact
 *   atomics   where the device has atomics: device ATOMIC and CPU adds on
 *             a page of counters of its own; the totals exact at the end
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
 *
 * One concern per file: tm_stress.h lists them. This one has the options,
 * the counters, the violations and the program's hooks.
 */
#include <stdarg.h>
#include <stdio.h>

#include "tm_stress.h"

unsigned int opt_seconds = 30;
uint64_t opt_seed = 1;

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
	"devmem-to-device", "devmem-to-system", "devmem-pages-moved",
	"devmem-errors", "device-atomics", "device-atomic-grants",
	"device-cmpxchg-swaps", "cpu-atomic-adds", "engine-copy-jobs",
	"engine-jobs-failed",
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

void print_counters(void)
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
