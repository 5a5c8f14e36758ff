// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: the module parameters that bound and shape every file.
 *
 * They live in one struct tm_limits, which the front-ends hand to the core
 * (tm_mirror_create()); the core never reads a parameter otherwise. Writable
 * at run time through /sys/module/test_mirror/parameters/: files opened
 * later see the new values (max_bindings: every later bind).
 */

#include <linux/moduleparam.h>

#include "tm_mirror.h"
#include "tm_params.h"

static struct tm_limits tm_limits = {
	.event_aware = true,
	.max_bindings = 1024,
	.max_mirror_pages = 1UL << 20,
	.event_log_len = 256,
	.fault_chunk_pages = 512,
};

module_param_named(event_aware, tm_limits.event_aware, bool, 0644);
MODULE_PARM_DESC(event_aware,
		 "Act on the notifier event (Y) or invalidate on every event (N); read at open");
module_param_named(max_bindings, tm_limits.max_bindings, uint, 0644);
MODULE_PARM_DESC(max_bindings, "Bindings per open file; read at each bind");
module_param_named(max_mirror_pages, tm_limits.max_mirror_pages, ulong, 0644);
MODULE_PARM_DESC(max_mirror_pages,
		 "Device-table capacity per open file, in 4 KiB pages of address space (2 MiB slots of 512 pages, leaf or huge entry); read at open");
module_param_named(event_log_len, tm_limits.event_log_len, uint, 0644);
MODULE_PARM_DESC(event_log_len, "Event log records per open file; read at open");
module_param_named(fault_chunk_pages, tm_limits.fault_chunk_pages, uint, 0644);
MODULE_PARM_DESC(fault_chunk_pages, "Pages per hmm_range_fault() call; read at open");

/**
 * tm_params_limits - the live parameter values
 *
 * Return: the limits, for tm_mirror_create().
 */
const struct tm_limits *tm_params_limits(void)
{
	return &tm_limits;
}
