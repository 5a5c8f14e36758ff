// SPDX-License-Identifier: GPL-2.0
/*
 * tm_events: one test per kernel activity that invalidates a mirrored range
 * (issue 3), asserting on the running kernel (6.1 and 6.12, issue 8):
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
 */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/falloc.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
