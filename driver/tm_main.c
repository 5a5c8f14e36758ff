// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: module entry points. The parameters are in tm_params.c.
 */

#include <linux/module.h>

#include "tm_debugfs.h"
#include "tm_drm.h"
#include "tm_hmm_compat.h"
#include "tm_job.h"

static int __init tm_init(void)
{
	int ret;

	tm_debugfs_init();
	ret = tm_fjobs_module_init();
	if (ret)
		goto err_debugfs;
	ret = tm_drm_init();
	if (ret)
		goto err_fjobs;
	ret = tm_hmm_compat_init();
	if (ret)
		goto err_drm;
	return 0;

err_drm:
	tm_drm_exit();
err_fjobs:
	tm_fjobs_module_exit();
err_debugfs:
	tm_debugfs_exit();
	return ret;
}

static void __exit tm_exit(void)
{
	tm_hmm_compat_exit();
	tm_drm_exit();
	tm_fjobs_module_exit();
	tm_debugfs_exit();
}

module_init(tm_init);
module_exit(tm_exit);

MODULE_DESCRIPTION("HMM mirror test device: a mock GPU that mirrors process page tables");
MODULE_LICENSE("GPL");
