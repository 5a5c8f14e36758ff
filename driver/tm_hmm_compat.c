// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: a front-end compatible with Linux 6.1's lib/test_hmm.
 */

/**
 * DOC: test_hmm compatibility
 *
 * Distribution kernels do not build lib/test_hmm (it needs DEVICE_PRIVATE),
 * so the kernel's own HMM selftest, tools/testing/selftests/vm/hmm-tests.c,
 * cannot run there. With the module parameter hmm_compat=1, test_mirror
 * registers the character devices /dev/hmm_dmirror0 and /dev/hmm_dmirror1,
 * which speak test_hmm's ioctl ABI (uapi/misc/test_mirror_hmm.h) on top of the same
 * mirror core as the DRM front-end, and hmm-tests runs against them
 * unmodified.
 *
 * The parameter is off by default, because the device names are those of
 * the real test_hmm module. It can also be changed at run time: writing 1
 * to /sys/module/test_mirror/parameters/hmm_compat registers the devices,
 * writing 0 removes them (files already open keep working until closed).
 *
 * Each open file is one mirror (struct tm_mirror) of the opener's address
 * space, with one binding that covers the whole space (TM_BIND_WHOLE_SPACE,
 * read-write): munmap() removes the device entries of the range, never the
 * tracking, and a new mapping at the same address is mirrored again on the
 * next device access, as with test_hmm. The commands:
 *
 * - READ, WRITE: tm_mirror_access(). @cpages is the pages copied, @faults
 *   the device faults taken; each fault resolves the whole rest of the
 *   request, so a range not yet mirrored costs exactly one. A write to
 *   memory the CPU maps read-only fails with -EPERM, a read of memory the
 *   CPU may not read (PROT_NONE) with -EFAULT.
 * - READ_UNLOCKED (7.3's test_hmm): READ whose faults may drop the mmap
 *   lock, so that a userfaultfd handler can supply a missing page while the
 *   device waits. READ already does so wherever the kernel lets it
 *   (hmm_range_fault_unlocked_timeout(), TM_HAVE_HMM_UNLOCKED, see
 *   compat.h), so there the two are one command. Elsewhere READ cannot
 *   keep the promise READ_UNLOCKED makes and it fails with -EOPNOTSUPP
 *   before the argument is read; the DRM front-end's TM_CAP_UFFD_FAULTS
 *   capability bit says which of the two a kernel does.
 * - SNAPSHOT: tm_mirror_cpu_snapshot(), i.e. hmm_range_fault() without
 *   faulting, turned into one TM_HMM_PROT_* byte per page. No page frame
 *   number reaches userspace.
 * - MIGRATE_TO_DEV, MIGRATE_TO_SYS, RELEASE, FLAGS: where the kernel has
 *   device-private memory ("Device memory"), each device has its own pool (its
 *   pgmap owner is the device, as test_hmm's dmirror0 and dmirror1 are two
 *   owners). MIGRATE_TO_DEV moves the range (it may span VMAs, which must be
 *   readable; of a private file mapping, the pages the process wrote move) and
 *   then reads it back through the device into @ptr, as test_hmm does for
 *   verification: @cpages is the pages read, and a page that did not reach
 *   device memory fails the command with -ENOENT (after TM_HMM_TO_DEV_TRIES
 *   moves where every page was in system memory: a move skips a page held
 *   busy for a moment). MIGRATE_TO_SYS moves this
 *   device's pages of the range home, @cpages being the pages moved. RELEASE
 *   evicts every page of the device to system memory. FLAGS takes
 *   HMM_DMIRROR_FLAG_FAIL_ALLOC (in @npages; other bits -EINVAL; 0 cancels it),
 *   which makes the next 2 MiB allocation of a move to the device or home fail,
 *   so that the move falls back to 4 KiB pages and the kernel splits the folio,
 *   as test_hmm's flag does. SNAPSHOT reports a page of this device's memory as
 *   DEV_PRIVATE_LOCAL; another device's page is not reported by
 *   hmm_range_fault() to a device that does not own it, so it reads NONE, as
 *   with test_hmm.
 * - EXCLUSIVE: where the kernel has make_device_exclusive()
 *   (TEST_MIRROR_CAP_DEVICE_EXCLUSIVE), the device takes every page of the
 *   range exclusive, one by one, as for a device atomic ("Device atomics")
 *   without changing the memory, then reads the range into @ptr through
 *   its entries (@cpages: the pages read, all of them on success). The
 *   range must be anonymous private memory the CPU may write (-EINVAL,
 *   -EPERM, as for ATOMIC). The pages stay the device's until the CPU
 *   touches them.
 * - CHECK_EXCLUSIVE: -EPERM if the device still holds any page of the range
 *   exclusive, 0 once the CPU has taken every one back (test_hmm's
 *   answers), with @cpages and @faults 0.
 * - Where the kernel has not got what a command needs (device memory for
 *   MIGRATE_TO_DEV, MIGRATE_TO_SYS, RELEASE and FLAGS: 6.1 and 6.12;
 *   make_device_exclusive() for EXCLUSIVE and CHECK_EXCLUSIVE), it fails
 *   with -EOPNOTSUPP before the argument is even read: hmm-tests expects
 *   success or a specific other errno from each of them, so no test can
 *   mistake this answer for the behaviour it checks.
 * - Any other command: -ENOTTY.
 *
 * mmap() of the file behaves as test_hmm's: the whole VMA is filled at once
 * with freshly zeroed pages inserted with vm_insert_page() (so the VMA is
 * VM_MIXEDMAP), which hmm-tests' mixedmap test snapshots. The pages belong
 * to the mapping alone and are freed when it goes; they are charged to the
 * memory cgroup of the task that maps them, so an mmap larger than its limit
 * fails with -ENOMEM (or the task is OOM-killed inside its cgroup).
 *
 * Differences from test_hmm that no mirroring test sees: a file may be used
 * only from the address space that opened it (-EACCES elsewhere, -ESRCH
 * once it has exited), like every test_mirror file; unknown commands give
 * -ENOTTY rather than -EINVAL.
 */

#include <linux/build_bug.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/hmm.h>
#include <linux/memremap.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pgtable.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <misc/test_mirror_hmm.h>

#include "compat.h"
#include "tm_debugfs.h"
#include "tm_devmem.h"
#include "tm_hmm_compat.h"
#include "tm_mirror.h"
#include "tm_params.h"

#define TM_HMM_NAME		"hmm_dmirror"
/*
 * The devices test_hmm always has; its device-coherent pair needs memory
 * this module does not have, and hmm-tests skips those variants.
 */
#define TM_HMM_NDEVS		2
/* Most pages asked of one tm_mirror_cpu_snapshot() call (it may do fewer). */
#define TM_HMM_SNAP_MAX		512U

/* The ABI is fixed: five __u64, and the command numbers encode its size. */
static_assert(sizeof(struct tm_hmm_cmd) == 40);

/**
 * struct tm_hmm_dev - one of the devices
 * @id: the minor number, N of /dev/hmm_dmirrorN.
 * @devmem: its memory, where the kernel has device-private memory (from
 *	module load to unload, whether the devices are registered or not).
 *
 * Its address is the owner of the mirrors opened through it: the
 * dev_private_owner of their hmm_range_fault() calls.
 */
struct tm_hmm_dev {
	unsigned int id;
	struct tm_devmem *devmem;
};

/**
 * struct tm_hmm_file - one open file
 * @m: the mirror of the opener's address space.
 * @handle: its whole-space binding.
 * @debugfs: its debugfs directory.
 */
struct tm_hmm_file {
	struct tm_mirror *m;
	u32 handle;
	struct dentry *debugfs;
};

static struct tm_hmm_dev tm_hmm_devs[TM_HMM_NDEVS] = {
	{ .id = 0 },
	{ .id = 1 },
};

/*
 * Registration state, under tm_hmm_lock. tm_hmm_ready is set between
 * tm_hmm_compat_init() and tm_hmm_compat_exit(): before, a parameter value
 * given at load time is only recorded.
 */
static DEFINE_MUTEX(tm_hmm_lock);
static bool tm_hmm_enabled;
static bool tm_hmm_ready;
static bool tm_hmm_registered;
static dev_t tm_hmm_devt;
static struct cdev *tm_hmm_cdev;
static struct class *tm_hmm_class;

/* ---------------------------------------------------------------------- */
/* File operations                                                        */

static int tm_hmm_open(struct inode *inode, struct file *filp)
{
	unsigned int id = iminor(inode);
	struct tm_hmm_file *hf;
	int ret;

	if (id >= TM_HMM_NDEVS)
		return -ENXIO;
	hf = kzalloc_obj(*hf, GFP_KERNEL_ACCOUNT);
	if (!hf)
		return -ENOMEM;
	hf->m = tm_mirror_create(&tm_hmm_devs[id], tm_params_limits());
	if (IS_ERR(hf->m)) {
		ret = PTR_ERR(hf->m);
		goto err_free;
	}
	tm_mirror_set_devmem(hf->m, tm_hmm_devs[id].devmem);
	ret = tm_mirror_bind(hf->m, 0, 0, TM_BIND_READ | TM_BIND_WRITE |
			     TM_BIND_WHOLE_SPACE, &hf->handle);
	if (ret)
		goto err_destroy;
	hf->debugfs = tm_debugfs_add(hf->m);
	filp->private_data = hf;
	return 0;

err_destroy:
	tm_mirror_destroy(hf->m);
err_free:
	kfree(hf);
	return ret;
}

static int tm_hmm_release(struct inode *inode, struct file *filp)
{
	struct tm_hmm_file *hf = filp->private_data;

	tm_debugfs_remove(hf->debugfs);
	tm_mirror_destroy(hf->m);
	kfree(hf);
	return 0;
}

/*
 * One hmm_range_fault() output entry as a TM_HMM_PROT_* byte. Called by
 * tm_mirror_cpu_snapshot() under the table lock, while the page is still
 * the one the CPU maps: its struct page may be read.
 */
static u8 tm_hmm_prot(unsigned long hmm_pfn)
{
	unsigned int shift;
	struct page *page;
	u8 prot;

	if (hmm_pfn & HMM_PFN_ERROR)
		return TM_HMM_PROT_ERROR;
	if (!(hmm_pfn & HMM_PFN_VALID))
		return TM_HMM_PROT_NONE;

	page = hmm_pfn_to_page(hmm_pfn);
	/*
	 * hmm_range_fault() reports a device-private page only to the device
	 * that owns it (dev_private_owner): a device page here is ours.
	 */
	if (is_device_private_page(page))
		prot = TM_HMM_PROT_DEV_PRIVATE_LOCAL;
	else if (is_device_coherent_page(page))
		prot = TM_HMM_PROT_DEV_COHERENT_REMOTE;
	else if (is_zero_pfn(page_to_pfn(page)))
		prot = TM_HMM_PROT_ZERO;
	else
		prot = TM_HMM_PROT_NONE;

	prot |= (hmm_pfn & HMM_PFN_WRITE) ? TM_HMM_PROT_WRITE : TM_HMM_PROT_READ;

	shift = hmm_pfn_to_map_order(hmm_pfn) + PAGE_SHIFT;
	if (shift == PMD_SHIFT)
		prot |= TM_HMM_PROT_PMD;
	else if (shift == PUD_SHIFT)
		prot |= TM_HMM_PROT_PUD;
	return prot;
}

/*
 * Snapshot [addr, addr + npages pages) in chunks of at most TM_HMM_SNAP_MAX
 * pages, each entry turned into a byte by @conv, and hand each chunk to @use
 * (0: go on). Return: 0, or the error of a snapshot, of @use, or -EINTR.
 */
static int tm_hmm_snap_walk(struct tm_hmm_file *hf, unsigned long addr,
			    unsigned long npages, u8 (*conv)(unsigned long),
			    int (*use)(const u8 *b, unsigned long n, void *arg),
			    void *arg)
{
	unsigned long n;
	int ret = 0;
	u8 *b;

	b = kmalloc(TM_HMM_SNAP_MAX, GFP_KERNEL_ACCOUNT);
	if (!b)
		return -ENOMEM;
	while (npages) {
		n = min_t(unsigned long, npages, TM_HMM_SNAP_MAX);
		ret = tm_mirror_cpu_snapshot(hf->m, addr, n, conv, b);
		if (ret < 0)
			break;
		n = ret;	/* it may do fewer than asked */
		ret = use(b, n, arg);
		if (ret)
			break;
		addr += n << PAGE_SHIFT;
		npages -= n;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	kfree(b);
	return ret;
}

/* SNAPSHOT's chunk: to userspace, counted in cmd->cpages. */
static int tm_hmm_snap_copy(const u8 *b, unsigned long n, void *arg)
{
	struct tm_hmm_cmd *cmd = arg;
	u8 __user *out = u64_to_user_ptr(cmd->ptr);

	if (copy_to_user(out + cmd->cpages, b, n))
		return -EFAULT;
	cmd->cpages += n;
	return 0;
}

static int tm_hmm_snapshot(struct tm_hmm_file *hf, struct tm_hmm_cmd *cmd)
{
	return tm_hmm_snap_walk(hf, cmd->addr, cmd->npages, tm_hmm_prot,
				tm_hmm_snap_copy, cmd);
}

/* Read the range through the device into cmd->ptr (cmd->cpages: pages read). */
static int tm_hmm_read_back(struct tm_hmm_file *hf, struct tm_hmm_cmd *cmd)
{
	struct tm_access_result res;
	int ret;

	ret = tm_mirror_access(hf->m, false, cmd->addr,
			       cmd->npages << PAGE_SHIFT,
			       u64_to_user_ptr(cmd->ptr), &res);
	cmd->cpages = res.pages;
	return ret;
}

/* Moves of MIGRATE_TO_DEV before a page missing from device memory fails it. */
#define TM_HMM_TO_DEV_TRIES	3

static u8 tm_hmm_valid(unsigned long hmm_pfn)
{
	return !!(hmm_pfn & HMM_PFN_VALID);
}

/* tm_hmm_all_valid()'s chunk: -ENOENT at the first page not valid. */
static int tm_hmm_snap_all(const u8 *b, unsigned long n, void *arg)
{
	return memchr(b, 0, n) ? -ENOENT : 0;
}

/*
 * Does the CPU map every page of the range with a page this device may
 * take (system memory, or its own)? Not: a hole, or another device's page
 * (hmm_range_fault() does not report those to us).
 */
static bool tm_hmm_all_valid(struct tm_hmm_file *hf, unsigned long addr,
			     unsigned long npages)
{
	return !tm_hmm_snap_walk(hf, addr, npages, tm_hmm_valid,
				 tm_hmm_snap_all, NULL);
}

/*
 * MIGRATE_TO_DEV: move the range, then read it back through the device,
 * every page of which must now be in its memory. A move skips a page that
 * someone else holds for a moment (compaction migrating it, a folio lock
 * not taken at once): if every page was one the device may take before
 * the move, the range is moved again (the pages moved stay). Not if some
 * page was in another device's memory: test_hmm's answer there is -ENOENT,
 * and the move's own fault brings such a page home, where a second move
 * would take it.
 */
static int tm_hmm_to_dev(struct tm_hmm_file *hf, struct tm_hmm_cmd *cmd,
			 unsigned long size)
{
	unsigned int tries, max;
	u64 moved;
	long n = 0;
	int ret;

	max = tm_hmm_all_valid(hf, cmd->addr, cmd->npages) ?
	      TM_HMM_TO_DEV_TRIES : 1;
	for (tries = 0; tries < max; tries++) {
		ret = tm_mirror_devmem(hf->m, TM_DEVMEM_TO_DEVICE,
				       TM_DEVMEM_SPAN, cmd->addr, size, &moved);
		if (ret)
			return ret;
		n = tm_mirror_devmem_resident(hf->m, cmd->addr, cmd->npages);
		if (n < 0)
			return n;
		if (n == cmd->npages)
			return tm_hmm_read_back(hf, cmd);
	}
	return -ENOENT;
}

/*
 * EXCLUSIVE: take each page exclusive for the device, then read the range
 * through the device's entries into cmd->ptr.
 */
static int tm_hmm_exclusive(struct tm_hmm_file *hf, struct tm_hmm_cmd *cmd)
{
	struct tm_atomic_op op = { .op = TM_ATOMIC_NONE };
	unsigned long size = cmd->npages << PAGE_SHIFT, off;
	int ret;

	for (off = 0; off < size; off += PAGE_SIZE) {
		ret = tm_mirror_atomic(hf->m, cmd->addr + off, &op);
		if (ret)
			return ret;
		if (fatal_signal_pending(current))
			return -EINTR;
	}
	return tm_hmm_read_back(hf, cmd);
}

/* CHECK_EXCLUSIVE: -EPERM while the device holds a page of the range. */
static int tm_hmm_check_exclusive(struct tm_hmm_file *hf,
				  struct tm_hmm_cmd *cmd)
{
	unsigned long count;
	int ret;

	ret = tm_mirror_exclusive_count(hf->m, cmd->addr,
					cmd->npages << PAGE_SHIFT, &count);
	if (ret)
		return ret;
	return count ? -EPERM : 0;
}

static long tm_hmm_ioctl(struct file *filp, unsigned int command,
			 unsigned long arg)
{
	struct tm_hmm_file *hf = filp->private_data;
	void __user *uarg = (void __user *)arg;
	struct tm_access_result res;
	struct tm_hmm_cmd cmd;
	unsigned long size;
	int ret;

	switch (command) {
	case TM_HMM_IOC_READ_UNLOCKED:
		/* READ drops the mmap lock in its faults only there. */
		if (!TM_HAVE_HMM_UNLOCKED)
			return -EOPNOTSUPP;
		command = TM_HMM_IOC_READ;
		break;
	case TM_HMM_IOC_READ:
	case TM_HMM_IOC_WRITE:
	case TM_HMM_IOC_SNAPSHOT:
		break;
	case TM_HMM_IOC_MIGRATE_TO_DEV:
	case TM_HMM_IOC_MIGRATE_TO_SYS:
	case TM_HMM_IOC_RELEASE:
	case TM_HMM_IOC_FLAGS:
		if (TM_HAVE_DEVMEM)
			break;
		/* No device memory: see the top. */
		return -EOPNOTSUPP;
	case TM_HMM_IOC_EXCLUSIVE:
	case TM_HMM_IOC_CHECK_EXCLUSIVE:
		if (tm_mirror_can_exclusive())
			break;
		/* No make_device_exclusive(): see the top. */
		return -EOPNOTSUPP;
	default:
		return -ENOTTY;
	}

	if (copy_from_user(&cmd, uarg, sizeof(cmd)))
		return -EFAULT;
	if (command == TM_HMM_IOC_RELEASE)
		return tm_mirror_devmem_release(hf->m);
	if (command == TM_HMM_IOC_FLAGS) {
		if (cmd.npages & ~TM_HMM_FLAG_FAIL_ALLOC)
			return -EINVAL;
		tm_mirror_devmem_fail_huge(hf->m, cmd.npages);
		return 0;
	}
	/* Page aligned, non-empty, no wrap: the rest is the core's check. */
	if (!cmd.npages || cmd.npages > (ULONG_MAX >> PAGE_SHIFT))
		return -EINVAL;
	size = cmd.npages << PAGE_SHIFT;
	ret = tm_mirror_check_range(cmd.addr, size);
	if (ret)
		return ret;
	cmd.cpages = 0;
	cmd.faults = 0;

	if (command == TM_HMM_IOC_CHECK_EXCLUSIVE) {
		ret = tm_hmm_check_exclusive(hf, &cmd);
	} else if (command == TM_HMM_IOC_SNAPSHOT) {
		ret = tm_hmm_snapshot(hf, &cmd);
	} else if (command == TM_HMM_IOC_MIGRATE_TO_DEV) {
		ret = tm_hmm_to_dev(hf, &cmd, size);
	} else if (command == TM_HMM_IOC_MIGRATE_TO_SYS) {
		ret = tm_mirror_devmem(hf->m, TM_DEVMEM_TO_SYSTEM,
				       TM_DEVMEM_SPAN, cmd.addr, size,
				       &cmd.cpages);
	} else if (command == TM_HMM_IOC_EXCLUSIVE) {
		ret = tm_hmm_exclusive(hf, &cmd);
	} else {
		ret = tm_mirror_access(hf->m, command == TM_HMM_IOC_WRITE,
				       cmd.addr, size,
				       u64_to_user_ptr(cmd.ptr), &res);
		cmd.cpages = res.pages;
		cmd.faults = res.faults;
	}
	if (ret)
		return ret;
	if (copy_to_user(uarg, &cmd, sizeof(cmd)))
		return -EFAULT;
	return 0;
}

static int tm_hmm_mmap(struct file *filp, struct vm_area_struct *vma)
{
	unsigned long addr;
	struct page *page;
	int ret;

	for (addr = vma->vm_start; addr < vma->vm_end; addr += PAGE_SIZE) {
		if (fatal_signal_pending(current))
			return -EINTR;
		/* Charged to the caller's memcg, like the rest of its memory. */
		page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!page)
			return -ENOMEM;
		/* The mapping takes its own reference; ours goes either way. */
		ret = vm_insert_page(vma, addr, page);
		put_page(page);
		if (ret)
			return ret;
		cond_resched();
	}
	return 0;
}

static const struct file_operations tm_hmm_fops = {
	.owner = THIS_MODULE,
	.open = tm_hmm_open,
	.release = tm_hmm_release,
	.unlocked_ioctl = tm_hmm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = tm_hmm_mmap,
	.llseek = noop_llseek,
};

/* ---------------------------------------------------------------------- */
/* Registration                                                           */

static void tm_hmm_unregister(void)
{
	unsigned int i;

	lockdep_assert_held(&tm_hmm_lock);
	for (i = 0; i < TM_HMM_NDEVS; i++)
		device_destroy(tm_hmm_class, MKDEV(MAJOR(tm_hmm_devt), i));
	/* Open files keep the cdev (and the module) until they close. */
	cdev_del(tm_hmm_cdev);
	tm_hmm_cdev = NULL;
	class_destroy(tm_hmm_class);
	tm_hmm_class = NULL;
	unregister_chrdev_region(tm_hmm_devt, TM_HMM_NDEVS);
	tm_hmm_registered = false;
	pr_info("test_mirror: removed /dev/%s0-%u\n", TM_HMM_NAME,
		TM_HMM_NDEVS - 1);
}

static int tm_hmm_register(void)
{
	struct device *dev;
	unsigned int i;
	int ret;

	lockdep_assert_held(&tm_hmm_lock);
	ret = alloc_chrdev_region(&tm_hmm_devt, 0, TM_HMM_NDEVS, TM_HMM_NAME);
	if (ret)
		return ret;
	tm_hmm_class = tm_class_create(TM_HMM_NAME);
	if (IS_ERR(tm_hmm_class)) {
		ret = PTR_ERR(tm_hmm_class);
		tm_hmm_class = NULL;
		goto err_region;
	}
	/*
	 * A cdev of its own for each registration: one removed at run time
	 * may still be held by open files when the next one is added.
	 */
	tm_hmm_cdev = cdev_alloc();
	if (!tm_hmm_cdev) {
		ret = -ENOMEM;
		goto err_class;
	}
	tm_hmm_cdev->owner = THIS_MODULE;
	tm_hmm_cdev->ops = &tm_hmm_fops;
	ret = cdev_add(tm_hmm_cdev, tm_hmm_devt, TM_HMM_NDEVS);
	if (ret) {
		kobject_put(&tm_hmm_cdev->kobj);
		tm_hmm_cdev = NULL;
		goto err_class;
	}
	for (i = 0; i < TM_HMM_NDEVS; i++) {
		dev = device_create(tm_hmm_class, NULL,
				    MKDEV(MAJOR(tm_hmm_devt), i), NULL,
				    TM_HMM_NAME "%u", i);
		if (IS_ERR(dev)) {
			ret = PTR_ERR(dev);
			goto err_devices;
		}
	}
	tm_hmm_registered = true;
	pr_info("test_mirror: test_hmm-compatible /dev/%s0-%u (mirroring only)\n",
		TM_HMM_NAME, TM_HMM_NDEVS - 1);
	return 0;

err_devices:
	while (i--)
		device_destroy(tm_hmm_class, MKDEV(MAJOR(tm_hmm_devt), i));
	cdev_del(tm_hmm_cdev);
	tm_hmm_cdev = NULL;
err_class:
	class_destroy(tm_hmm_class);
	tm_hmm_class = NULL;
err_region:
	unregister_chrdev_region(tm_hmm_devt, TM_HMM_NDEVS);
	return ret;
}

static int tm_hmm_param_set(const char *val, const struct kernel_param *kp)
{
	bool on = true;		/* a bare "hmm_compat" means on */
	int ret = 0;

	if (val && kstrtobool(val, &on))
		return -EINVAL;
	mutex_lock(&tm_hmm_lock);
	if (tm_hmm_ready && on && !tm_hmm_registered)
		ret = tm_hmm_register();
	else if (tm_hmm_ready && !on && tm_hmm_registered)
		tm_hmm_unregister();
	if (!ret)
		tm_hmm_enabled = on;
	mutex_unlock(&tm_hmm_lock);
	return ret;
}

static const struct kernel_param_ops tm_hmm_param_ops = {
	.set = tm_hmm_param_set,
	.get = param_get_bool,
};

module_param_cb(hmm_compat, &tm_hmm_param_ops, &tm_hmm_enabled, 0644);
MODULE_PARM_DESC(hmm_compat,
		 "Register /dev/hmm_dmirror0 and 1, compatible with lib/test_hmm's ioctls (migration where the kernel has device-private memory, exclusive access where it has make_device_exclusive(); elsewhere EOPNOTSUPP); may be changed at run time (default N)");

/* The devices' memory goes: every page evicted, then the maps removed. */
static void tm_hmm_devmem_destroy(void)
{
	int i;

	for (i = 0; i < TM_HMM_NDEVS; i++) {
		tm_devmem_destroy(tm_hmm_devs[i].devmem);
		tm_hmm_devs[i].devmem = NULL;
	}
}

/**
 * tm_hmm_compat_init - register the test_hmm-compatible devices if enabled
 *
 * Called once from module init, after the mirror core can serve files.
 * Registers /dev/hmm_dmirror0 and 1 if hmm_compat was set at load time;
 * from then on, writes to the parameter register or remove them.
 *
 * Return: 0 (also when disabled) or the registration's negative errno.
 */
int tm_hmm_compat_init(void)
{
	struct tm_devmem *dm;
	int ret = 0, i;

	for (i = 0; TM_HAVE_DEVMEM && i < TM_HMM_NDEVS; i++) {
		dm = tm_devmem_create(&tm_hmm_devs[i], tm_params_limits());
		if (IS_ERR(dm)) {
			while (i--) {
				tm_devmem_destroy(tm_hmm_devs[i].devmem);
				tm_hmm_devs[i].devmem = NULL;
			}
			return PTR_ERR(dm);
		}
		tm_hmm_devs[i].devmem = dm;
	}
	mutex_lock(&tm_hmm_lock);
	if (tm_hmm_enabled)
		ret = tm_hmm_register();
	tm_hmm_ready = !ret;
	mutex_unlock(&tm_hmm_lock);
	if (ret)
		tm_hmm_devmem_destroy();
	return ret;
}

/**
 * tm_hmm_compat_exit - remove the test_hmm-compatible devices
 *
 * Called from module exit (so no file is open: the file operations hold a
 * module reference). Safe whether or not the devices are registered.
 */
void tm_hmm_compat_exit(void)
{
	mutex_lock(&tm_hmm_lock);
	if (tm_hmm_registered)
		tm_hmm_unregister();
	tm_hmm_ready = false;
	mutex_unlock(&tm_hmm_lock);
	tm_hmm_devmem_destroy();
}
