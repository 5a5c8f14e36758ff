// SPDX-License-Identifier: GPL-2.0
/*
 * tm_events: one test per kernel activity that invalidates a mirrored range,
 * asserting on the running kernel (6.1, 6.12, 7.3) what it does:
 *
 *   (a) the exact event(s) the kernel raised, from the EVENTS log: event,
 *       action, and that the records cover the expected pages (and, where
 *       the kernel gives a tight range, stay within them);
 *   (b) the device-table state afterwards, from SNAPSHOT and STATS;
 *   (c) coherence: a device read returns the CPU's current data, and no
 *       device access survives where the CPU lost it.
 *
 * Per-kernel behaviour is chosen by the file's capabilities, never by a
 * version check: TEST_MIRROR_CAP_VMA_DOWNGRADE (6.1) lets PROTECTION_VMA keep
 * read-only entries; without it (6.12) PROTECTION_VMA invalidates.
 *
 * The tests assume the event-aware policy (the module's default) and skip
 * otherwise; ab_* tests compare with the event-blind policy by opening a
 * second file with the event_aware parameter switched off.
 *
 * Process exit, exec and the OOM reaper happen when no task of the mirrored
 * address space can call an ioctl any more (from another address space a
 * call fails with -EACCES, and with -ESRCH once the address space is gone),
 * so those tests observe the driver's invalidation callbacks through its
 * test_mirror:tm_invalidate tracepoint, which trace_matches_event_log checks
 * against the EVENTS log first.
 *
 * Usage: tm_events [tm_main options] [pattern...]; tm_events -l lists.
 *
 * The tests, one file per kind of activity (tm_events.h: what they share;
 * the harness runs them by file name, then line):
 *
 *   unmap.c    munmap, mremap, MAP_FIXED
 *   protect.c  mprotect, clear_refs soft-dirty
 *   madvise.c  MADV_DONTNEED, MADV_FREE, MADV_PAGEOUT
 *   fork.c     fork and COW
 *   file.c     shared file mappings: writeback, truncate, hole punch
 *   uffd.c     userfaultfd: write-protect, device faults the handler serves
 *   thp.c      transparent huge pages: split, collapse
 *   hugetlb.c  hugetlb and hugetlbfs
 *   migrate.c  KSM, compaction, soft offline, move_pages, device migration
 *   ab.c       event-aware against event-blind, after a write-protect
 *   trace.c    the tm_invalidate tracepoint against the EVENTS log
 *   exit.c     process exit, exec, OOM kill
 *   common.c   the start of every test, the wait for the UNMAP work item
 *   main.c     this overview, the program's options
 */
#include "tm_events.h"

static const char *opt_exec_helper;

/* tm_events --exec-helper FD runs exec_helper(), not the tests. */
static int events_setup(struct tm_run *run)
{
	(void)run;
	return opt_exec_helper ? exec_helper(opt_exec_helper) : -1;
}

static const struct tm_option events_options[] = {
	{ "exec-helper", TM_OPT_STR, &opt_exec_helper, "FD",
	  "internal: the new image of exec_release_then_unmap" },
	{ NULL },
};

TM_PROGRAM(.options = events_options, .setup = events_setup);
TM_MAIN()
