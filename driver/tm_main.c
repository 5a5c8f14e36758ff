// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: module entry points and parameters.
 */

#include <linux/module.h>
#include <linux/moduleparam.h>

#include "tm_mirror.h"
#include "tm_drm.h"
#include "tm_hmm_compat.h"

bool tm_event_aware = true;
module_param_named(event_aware, tm_event_aware, bool, 0644);
MODULE_PARM_DESC(event_aware,
		 "Act on the notifier event (Y) or invalidate on every event (N); read at open");

unsigned int tm_max_bindings = 1024;
module_param_named(max_bindings, tm_max_bindings, uint, 0644);
MODULE_PARM_DESC(max_bindings, "Bindings per open file");

unsigned long tm_max_mirror_pages = 1UL << 20;
module_param_named(max_mirror_pages, tm_max_mirror_pages, ulong, 0644);
MODULE_PARM_DESC(max_mirror_pages,
		 "Device-table capacity per open file, in 4 KiB pages of address space (2 MiB slots of 512 pages, leaf or huge entry); read at open");

unsigned int tm_event_log_len = 256;
module_param_named(event_log_len, tm_event_log_len, uint, 0644);
MODULE_PARM_DESC(event_log_len, "Event log records per open file; read at open");

unsigned int tm_fault_chunk_pages = 512;
module_param_named(fault_chunk_pages, tm_fault_chunk_pages, uint, 0644);
MODULE_PARM_DESC(fault_chunk_pages, "Pages per hmm_range_fault() call; read at open");

static int __init tm_init(void)
{
	int ret;

	tm_debugfs_init();
	ret = tm_drm_init();
	if (ret)
		goto err_debugfs;
	ret = tm_hmm_compat_init();
	if (ret)
		goto err_drm;
	return 0;

err_drm:
	tm_drm_exit();
err_debugfs:
	tm_debugfs_exit();
	return ret;
}

static void __exit tm_exit(void)
{
	tm_hmm_compat_exit();
	tm_drm_exit();
	tm_debugfs_exit();
}

module_init(tm_init);
module_exit(tm_exit);

MODULE_DESCRIPTION("HMM mirror test device: a mock GPU that mirrors process page tables");
MODULE_LICENSE("GPL");
