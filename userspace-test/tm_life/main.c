// SPDX-License-Identifier: GPL-2.0
/*
 * tm_life: lifecycle, isolation and bounded resources of test_mirror files.
 *
 * Usage:
 *   tm_life [--oom N] [harness options] [tests]
 *       the tests below (KTAP); --oom N: OOM kills in oom_kill_loop (10)
 *   tm_life --cycles N
 *       its own KTAP: rmmod is refused while a file is open, then N
 *       unload/load cycles of test_mirror.ko with finit_module() and
 *       delete_module(), a device round trip every 10 cycles, and the module
 *       loaded again at the end with the parameters it had. Nothing else
 *       may hold the device meanwhile: run it last.
 *
 * Lifecycle: close before munmap, with split work pending, with accesses in
 * flight in other threads; exit and SIGKILL with files open; the same file
 * in another address space (fork, SCM_RIGHTS both ways, exec): every ioctl
 * fails (-EACCES, or -ESRCH once the owner is gone) and neither process's
 * memory changes; rmmod refused while any file or mapping holds the module.
 *
 * OOM: a child in a memory-limited cgroup v2 mirrors memory (device reads
 * and writes in a thread) and allocates until the OOM killer kills it; it
 * must die of SIGKILL, promptly, and the device must work afterwards.
 *
 * Bounded resources: max_bindings (read at bind) and max_mirror_pages (read
 * at open) give -ENOSPC, event_log_len bounds the log; the device table is
 * charged to the opener's memory cgroup (memory.current follows it), and a
 * cgroup limit turns a huge mirror into -ENOMEM or an OOM kill inside the
 * cgroup, never a machine-wide OOM.
 *
 * One theme per file (tm_life.h: what several of them share):
 *   lifecycle.c  close, exit and SIGKILL with work pending, accesses in flight
 *   isolation.c  the file in another address space: fork, SCM_RIGHTS, exec
 *   module.c     rmmod refused while the module is held; --cycles N
 *   oom.c        OOM kills of mirroring processes
 *   limits.c     max_bindings, max_mirror_pages, event_log_len
 *   memcg.c      what is charged to the memory cgroup, and its limits
 *
 * This file: the options, the modes other than the tests, and main().
 */
#include <stdlib.h>

#include "tm_life.h"

unsigned int opt_oom = 10;
static unsigned int opt_cycles;
static const char *opt_exec_child;

/*
 * --cycles N and --exec-child FD are modes of their own: their own KTAP,
 * or the new image of exec_refused; otherwise the tests run.
 */
static int life_setup(struct tm_run *run)
{
	if (run->list)
		return -1;
	if (opt_exec_child)
		return exec_child_main(atoi(opt_exec_child));
	if (opt_cycles)
		return cycles_main(opt_cycles);
	return -1;
}

static const struct tm_option life_options[] = {
	{ "oom", TM_OPT_UINT, &opt_oom, "N",
	  "OOM kills in oom_kill_loop (default 10)" },
	{ "cycles", TM_OPT_UINT, &opt_cycles, "N",
	  "instead of the tests: N unload/load cycles of the module" },
	{ "exec-child", TM_OPT_STR, &opt_exec_child, "FD",
	  "internal: the new image of exec_refused" },
	{ NULL },
};

TM_PROGRAM(.options = life_options, .setup = life_setup);
TM_MAIN()
