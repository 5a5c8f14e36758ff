// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: debugfs, one directory per open file.
 *
 * /sys/kernel/debug/test_mirror/<tgid>-<id>/state lists the file's bindings,
 * their segments and cuts, and the device table as runs of entries with the
 * same state. Root only; it shows no physical addresses either.
 * /sys/kernel/debug/test_mirror/fail_split is a fault injection for tests
 * (tm_inject.c). /sys/kernel/debug/test_mirror/devmem shows the render
 * node's memory counters ("Device memory"), where it has device memory.
 * /sys/kernel/debug/test_mirror/engine shows the job engine's counters since
 * load, every file together (struct tm_jobs_totals): the suite checks there
 * that no engine access outlived an invalidation during the whole run.
 */

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "tm_debugfs.h"
#include "tm_devmem.h"
#include "tm_inject.h"
#include "tm_job.h"
#include "tm_mirror.h"

static struct dentry *tm_debugfs_root;
static atomic_t tm_debugfs_ids = ATOMIC_INIT(0);
static struct dentry *tm_debugfs_devmem;

static int tm_devmem_show(struct seq_file *s, void *unused)
{
	struct tm_devmem_stats st;

	tm_devmem_stats(s->private, &st);
	seq_printf(s, "capacity %llu\npages %llu\nto_device %llu\nto_system %llu\nevictions %llu\ncpu_faults %llu\n",
		   st.capacity, st.pages, st.to_device, st.to_system,
		   st.evictions, st.cpu_faults);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tm_devmem);

static int tm_engine_show(struct seq_file *s, void *unused)
{
	struct tm_jobs_totals t;

	tm_jobs_totals(&t);
	seq_printf(s, "jobs %llu\naccess_after_invalidate %llu\naccess_after_early_record %llu\n",
		   t.jobs, t.access_after_invalidate,
		   t.access_after_early_record);
	seq_printf(s, "fault_jobs %llu\ndevice_faults %llu\ntlb_flushes %llu\nnonblock_ack_pending %llu\n",
		   t.fault_jobs, t.device_faults, t.tlb_flushes,
		   t.nonblock_ack_pending);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tm_engine);

static int tm_state_show(struct seq_file *s, void *unused)
{
	return tm_mirror_dump(s->private, s);
}
DEFINE_SHOW_ATTRIBUTE(tm_state);

static int tm_fail_split_show(struct seq_file *s, void *unused)
{
	seq_printf(s, "%s\n", tm_inject_split_state());
	return 0;
}

static int tm_fail_split_open(struct inode *inode, struct file *file)
{
	return single_open(file, tm_fail_split_show, NULL);
}

static ssize_t tm_fail_split_write(struct file *file, const char __user *ubuf,
				   size_t len, loff_t *ppos)
{
	bool on;
	int ret;

	ret = kstrtobool_from_user(ubuf, len, &on);
	if (ret)
		return ret;
	tm_inject_split_arm(on);
	return len;
}

static const struct file_operations tm_fail_split_fops = {
	.owner = THIS_MODULE,
	.open = tm_fail_split_open,
	.read = seq_read,
	.write = tm_fail_split_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/**
 * tm_debugfs_add - create the debugfs directory of one mirror
 * @m: the mirror, just created by the current task (its tgid names the
 *	directory, with a number of its own)
 *
 * Return: the directory, to pass to tm_debugfs_remove() before the mirror
 * is destroyed; an error pointer or NULL when debugfs is unavailable, which
 * tm_debugfs_remove() accepts.
 */
struct dentry *tm_debugfs_add(struct tm_mirror *m)
{
	struct dentry *dir;
	char name[32];

	if (!tm_debugfs_root)
		return NULL;
	snprintf(name, sizeof(name), "%d-%u", task_tgid_nr(current),
		 atomic_inc_return(&tm_debugfs_ids));
	dir = debugfs_create_dir(name, tm_debugfs_root);
	debugfs_create_file("state", 0400, dir, m, &tm_state_fops);
	return dir;
}

/**
 * tm_debugfs_remove - remove a mirror's directory
 * @dir: from tm_debugfs_add()
 *
 * Waits for readers of the files to finish.
 */
void tm_debugfs_remove(struct dentry *dir)
{
	debugfs_remove(dir);
}

/**
 * tm_debugfs_set_devmem - show (or stop showing) the device memory counters
 * @dm: the render node's memory, or NULL to remove the file (waits for its
 *	readers, so @dm may then be destroyed)
 */
void tm_debugfs_set_devmem(struct tm_devmem *dm)
{
	debugfs_remove(tm_debugfs_devmem);
	tm_debugfs_devmem = NULL;
	if (dm && tm_debugfs_root)
		tm_debugfs_devmem = debugfs_create_file("devmem", 0400,
							tm_debugfs_root, dm,
							&tm_devmem_fops);
}

/**
 * tm_debugfs_init - create /sys/kernel/debug/test_mirror, fail_split, engine
 */
void tm_debugfs_init(void)
{
	struct dentry *root = debugfs_create_dir("test_mirror", NULL);

	tm_debugfs_root = IS_ERR(root) ? NULL : root;
	if (!tm_debugfs_root)
		return;
	debugfs_create_file("fail_split", 0600, tm_debugfs_root, NULL,
			    &tm_fail_split_fops);
	debugfs_create_file("engine", 0400, tm_debugfs_root, NULL,
			    &tm_engine_fops);
}

/**
 * tm_debugfs_exit - remove /sys/kernel/debug/test_mirror
 */
void tm_debugfs_exit(void)
{
	debugfs_remove(tm_debugfs_root);
	tm_debugfs_root = NULL;
}
