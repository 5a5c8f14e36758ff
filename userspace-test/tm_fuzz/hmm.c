// SPDX-License-Identifier: GPL-2.0
/*
 * tm_fuzz: the test_hmm-compatible front-end (/dev/hmm_dmirror0 and 1),
 * when the module has it: hmm_cmds, hmm_raw, hmm_foreign.
 *
 * The same oracle for its commands: READ, WRITE and SNAPSHOT against the
 * world (every page of the process is "bound"), the migration and
 * exclusive-access commands where it does not support them (-EOPNOTSUPP;
 * where the device has memory of its own, TEST_MIRROR_CAP_DEVICE_PRIVATE,
 * the migration commands and RELEASE work: a move never changes the data,
 * a MIGRATE_TO_DEV that succeeds read back through the device what memory
 * holds, and SNAPSHOT never shows a page in device memory that the CPU
 * brought home since; where it supports exclusive access,
 * TEST_MIRROR_CAP_DEVICE_EXCLUSIVE, EXCLUSIVE and CHECK_EXCLUSIVE work:
 * EXCLUSIVE fails at the first page the device cannot take and reads back
 * exactly what memory holds; CHECK_EXCLUSIVE may say EPERM or 0, as the
 * oracle does not follow which pages the CPU took back), any other
 * size or direction of a command (-ENOTTY), bad argument pointers, and
 * another process (-EACCES). Each test runs in a grandchild, so that the
 * hmm_compat parameter is put back whatever happens.
 */
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <misc/test_mirror_hmm.h>

#include "tm_fuzz.h"

static int hmm_fd[2] = { -1, -1 };
static bool hmm_param_set;
/* The devices have memory: MIGRATE_TO_DEV/SYS and RELEASE work. */
static bool hmm_devmem;
/* The module can take pages exclusive (TEST_MIRROR_CAP_DEVICE_EXCLUSIVE). */
static bool hmm_exclusive;
/* Those issued, those that succeeded, MIGRATE_TO_DEV read-backs checked. */
static uint64_t dm_calls, dm_ok, dm_readback;
/* EXCLUSIVE / CHECK_EXCLUSIVE issued, succeeded, EXCLUSIVE read-backs checked. */
static uint64_t ex_calls, ex_ok, ex_readback;

/* Open /dev/hmm_dmirror0/1, enabling the front-end if the module can. */
static bool hmm_open(void)
{
	int i, r = tm_hmm_enable();

	if (r < 0)
		return false;
	hmm_param_set = r == 1;
	i = tm_must_open();
	hmm_devmem = tm_has_cap(i, TEST_MIRROR_CAP_DEVICE_PRIVATE);
	hmm_exclusive = tm_has_cap(i, TEST_MIRROR_CAP_DEVICE_EXCLUSIVE);
	close(i);
	for (i = 0; i < 2; i++) {
		hmm_fd[i] = tm_hmm_open(i);
		if (hmm_fd[i] < 0)
			FAIL("open /dev/hmm_dmirror%d: %s", i,
			     tm_errname(hmm_fd[i]));
	}
	return true;
}

/*
 * EXCLUSIVE and CHECK_EXCLUSIVE where the kernel can take pages exclusive.
 * EXCLUSIVE takes the pages one by one, as ATOMIC does (the first that
 * cannot be taken gives its errno: EFAULT no VMA, EINVAL the memfd, EPERM
 * memory the CPU does not map writable), then reads the range back
 * through the device into ptr (EFAULT a bad buffer): on success exactly
 * what memory holds, which EXCLUSIVE does not change. CHECK_EXCLUSIVE
 * answers EPERM while the device holds a page of the range, 0 after the
 * CPU took every one back; what the CPU touched since is not modelled, so
 * either is allowed, with cpages and faults 0 on success.
 */
static void hmm_excl_op(unsigned long cmd, uint8_t *arg,
			const struct tm_hmm_cmd *c, bool argbad,
			bool argro_used, bool foreign, int fdi)
{
	struct pred p = { 0 };
	uint64_t size = c->npages * PAGE_SZ, i;
	bool check = cmd == TM_HMM_IOC_CHECK_EXCLUSIVE;
	int ret;

	if (argbad) {
		allow(&p, -EFAULT);
	} else if (!c->npages || c->npages > (~0ull >> 12) ||
		   check_range(c->addr, size)) {
		allow(&p, -EINVAL);
	} else if (foreign) {
		allow(&p, -EACCES);
	} else if (check) {
		allow(&p, 0);
		allow(&p, -EPERM);
	} else {
		int bad = 0, r, ok;

		if (c->npages > NW + NZONE) {
			cnt_skipped++;
			return;
		}
		for (i = 0; i < c->npages && !bad; i++) {
			r = excl_vma_reason(c->addr + i * PAGE_SZ);
			if (r == R_UNKNOWN) {
				cnt_skipped++;
				return;
			}
			bad = r;
		}
		if (bad) {
			allow(&p, bad);
		} else {
			r = mem_range(c->ptr, size, true);
			ok = access_ok_model(c->ptr, size);
			if (r == R_UNKNOWN || in_range(c->ptr, win, NW * PAGE_SZ)) {
				cnt_skipped++;
				return;
			}
			allow(&p, r || !ok ? -EFAULT : 0);
			if (ok == 2)
				allow(&p, -EFAULT);
		}
	}
	if (!check && allowed(&p, 0))
		memset((void *)(uintptr_t)c->ptr, 0xA5, size);
	ret = tm_ioctl(hmm_fd[fdi], cmd, arg);
	count_ret(ret);
	ex_calls++;
	/* Success, then the copy back into a read-only argument fails. */
	if (argro_used && allowed(&p, 0) && ret == -EFAULT)
		ret = 0;
	if (!allowed(&p, ret))
		FAIL("hmm %s addr 0x%llx npages 0x%llx ptr 0x%llx%s: %s, expected %s%s%s",
		     check ? "CHECK_EXCLUSIVE" : "EXCLUSIVE",
		     (unsigned long long)c->addr,
		     (unsigned long long)c->npages, (unsigned long long)c->ptr,
		     foreign ? " (another process)" : "", tm_errname(ret),
		     tm_errname(p.allow[0]), p.n > 1 ? "|" : "",
		     p.n > 1 ? tm_errname(p.allow[1]) : "");
	cnt_checks++;
	if (ret)
		return;
	ex_ok++;
	if (!argro_used) {
		const struct tm_hmm_cmd *o = (const void *)arg;

		if (o->cpages != (check ? 0 : c->npages) || (check && o->faults))
			FAIL("hmm %s of %llu pages: cpages %llu, faults %llu",
			     check ? "CHECK_EXCLUSIVE" : "EXCLUSIVE",
			     (unsigned long long)c->npages,
			     (unsigned long long)o->cpages,
			     (unsigned long long)o->faults);
	}
	if (check)
		return;
	for (i = 0; i < c->npages; i++) {
		if (memcmp((void *)(uintptr_t)(c->ptr + i * PAGE_SZ),
			   device_content(c->addr + i * PAGE_SZ), PAGE_SZ))
			FAIL("hmm EXCLUSIVE page %" PRIu64 ": the device read back not what memory holds",
			     i);
		on_sys[(c->addr + i * PAGE_SZ - (uintptr_t)arena) / PAGE_SZ] = 1;
	}
	cnt_checks++;
	ex_readback++;
	if (chance(30))
		check_arena("after EXCLUSIVE");
}

/*
 * Run fn in a grandchild so that the parameter is put back whatever
 * happens to the test. Returns only in the test child.
 */
static void hmm_run(const char *name, void (*fn)(void))
{
	uint64_t v = 1;
	pid_t pid;
	bool had = !access("/dev/hmm_dmirror0", F_OK);

	if (!had && tm_param_get("hmm_compat", &v))
		SKIP("the module has no test_hmm-compatible front-end (no hmm_compat parameter)");
	pid = tm_fork();
	if (!pid) {
		seed_for(name);
		world_setup();
		if (!hmm_open())
			SKIP("cannot enable hmm_compat");
		fn();
		print_counts(name);
		if (dm_calls)
			tm_diag("%s: %" PRIu64 " MIGRATE_TO_DEV / MIGRATE_TO_SYS / RELEASE, %" PRIu64 " succeeded, %" PRIu64 " read-backs checked",
				name, dm_calls, dm_ok, dm_readback);
		if (ex_calls)
			tm_diag("%s: %" PRIu64 " EXCLUSIVE / CHECK_EXCLUSIVE, %" PRIu64 " succeeded, %" PRIu64 " read-backs checked",
				name, ex_calls, ex_ok, ex_readback);
		close(hmm_fd[0]);
		close(hmm_fd[1]);
		_exit(0);
	}
	{
		int status;

		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!had)
			tm_param_set("hmm_compat", "0");
		if (WIFEXITED(status) && WEXITSTATUS(status) == 4)
			SKIP("test_hmm-compatible front-end not available");
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			FAIL("%s: child status 0x%x", name, status);
	}
}

static const unsigned long hmm_cmd_list[] = {
	TM_HMM_IOC_READ, TM_HMM_IOC_WRITE, TM_HMM_IOC_SNAPSHOT,
	TM_HMM_IOC_MIGRATE_TO_DEV, TM_HMM_IOC_MIGRATE_TO_SYS,
	TM_HMM_IOC_EXCLUSIVE, TM_HMM_IOC_CHECK_EXCLUSIVE, TM_HMM_IOC_RELEASE,
	TM_HMM_IOC_READ_UNLOCKED,
};

/*
 * Is READ_UNLOCKED READ (the kernel lets device faults drop the mmap lock:
 * TEST_MIRROR_CAP_UFFD_FAULTS), or EOPNOTSUPP? Asked once, of a DRM file.
 */
static bool hmm_read_unlocked(void)
{
	static int unlocked = -1;
	struct drm_test_mirror_stats st;
	int fd;

	if (unlocked < 0) {
		fd = tm_open();
		if (fd < 0 || tm_stats(fd, &st, false))
			FAIL("READ_UNLOCKED: cannot read the capabilities");
		unlocked = !!(st.caps & TEST_MIRROR_CAP_UFFD_FAULTS);
		close(fd);
	}
	return unlocked;
}

/* Predicted SNAPSHOT byte sets, checked per page. */
static void hmm_check_snap(uint64_t addr, const uint8_t *out, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		uint64_t va = addr + i * PAGE_SZ;
		uint8_t v = out[i];
		int r = cpu_reason(va, false);

		if (r == -EFAULT) {
			if (v != TM_HMM_PROT_ERROR)
				FAIL("hmm SNAPSHOT: inaccessible page 0x%" PRIx64 " reported 0x%02x", va, v);
			continue;
		}
		if (r == R_UNKNOWN) {
			if (v != TM_HMM_PROT_ERROR && (v & ~0x1f) && v != 0)
				FAIL("hmm SNAPSHOT: page 0x%" PRIx64 " reported 0x%02x", va, v);
			continue;
		}
		if ((v & 0xf0) == TM_HMM_PROT_DEV_PRIVATE_LOCAL) {
			size_t i = (va - (uintptr_t)arena) / PAGE_SZ;

			if (!hmm_devmem || on_sys[i] ||
			    (v != (TM_HMM_PROT_DEV_PRIVATE_LOCAL | TM_HMM_PROT_READ) &&
			     (v != (TM_HMM_PROT_DEV_PRIVATE_LOCAL | TM_HMM_PROT_WRITE) ||
			      kind[i] == K_RO)))
				FAIL("hmm SNAPSHOT: page 0x%" PRIx64 " reported 0x%02x (device memory%s)",
				     va, v, on_sys[i] ? ", but the CPU brought it home" : "");
			continue;
		}
		if (kind[(va - (uintptr_t)arena) / PAGE_SZ] == K_RO) {
			if (v != TM_HMM_PROT_NONE && v != TM_HMM_PROT_READ &&
			    v != (TM_HMM_PROT_ZERO | TM_HMM_PROT_READ))
				FAIL("hmm SNAPSHOT: read-only page 0x%" PRIx64 " reported 0x%02x", va, v);
			continue;
		}
		if (v != TM_HMM_PROT_NONE && v != TM_HMM_PROT_READ &&
		    v != TM_HMM_PROT_WRITE && v != (TM_HMM_PROT_ZERO | TM_HMM_PROT_READ))
			FAIL("hmm SNAPSHOT: page 0x%" PRIx64 " reported 0x%02x", va, v);
	}
	cnt_checks++;
}

static bool devmem_cmd(unsigned long cmd)
{
	return cmd == TM_HMM_IOC_MIGRATE_TO_DEV ||
	       cmd == TM_HMM_IOC_MIGRATE_TO_SYS || cmd == TM_HMM_IOC_RELEASE;
}

/*
 * MIGRATE_TO_DEV, MIGRATE_TO_SYS, RELEASE where the devices have memory.
 * Both migrations span VMAs, which must all be readable (else -EINVAL);
 * MIGRATE_TO_DEV then reads the range back through the device, and fails
 * with -ENOENT if a page did not reach its memory (the memfd's shared
 * pages, a page in the other device's memory, a full pool). On success
 * the read-back is what memory holds. RELEASE takes no range.
 */
static void hmm_devmem_op(unsigned long cmd, uint8_t *arg,
			  const struct tm_hmm_cmd *c, bool argbad,
			  bool argro_used, bool foreign, int fdi)
{
	struct pred p = { 0 };
	uint64_t size = c->npages * PAGE_SZ, i;
	bool to_dev = cmd == TM_HMM_IOC_MIGRATE_TO_DEV;
	int ret;

	if (argbad) {
		allow(&p, -EFAULT);
	} else if (cmd == TM_HMM_IOC_RELEASE) {
		allow(&p, foreign ? -EACCES : 0);
	} else if (!c->npages || c->npages > (~0ull >> 12) ||
		   check_range(c->addr, size)) {
		allow(&p, -EINVAL);
	} else if (foreign) {
		allow(&p, -EACCES);
	} else {
		int bad = 0, r;

		if (c->npages > NW + NZONE) {
			cnt_skipped++;
			return;
		}
		for (i = 0; i < c->npages && !bad; i++) {
			r = cpu_reason(c->addr + i * PAGE_SZ, false);
			if (r == R_UNKNOWN) {
				cnt_skipped++;
				return;
			}
			bad = r;
		}
		if (bad) {
			allow(&p, -EINVAL);
		} else if (!to_dev) {
			allow(&p, 0);
		} else {
			r = mem_range(c->ptr, size, true);
			if (r == R_UNKNOWN || in_range(c->ptr, win, NW * PAGE_SZ)) {
				cnt_skipped++;
				return;
			}
			allow(&p, -ENOENT);
			allow(&p, r || access_ok_model(c->ptr, size) != 1 ? -EFAULT : 0);
		}
	}
	if (to_dev && !argbad)
		model_to_device(c->addr, size);
	if (to_dev && allowed(&p, 0))
		memset((void *)(uintptr_t)c->ptr, 0xA5, size);
	ret = tm_ioctl(hmm_fd[fdi], cmd, arg);
	count_ret(ret);
	dm_calls++;
	dm_ok += !ret;
	/* Success, then the copy back into a read-only argument fails. */
	if (argro_used && allowed(&p, 0) && ret == -EFAULT)
		ret = 0;
	if (!allowed(&p, ret))
		FAIL("hmm devmem ioctl 0x%lx addr 0x%llx npages 0x%llx ptr 0x%llx%s: %s, expected %s%s%s",
		     cmd, (unsigned long long)c->addr,
		     (unsigned long long)c->npages, (unsigned long long)c->ptr,
		     foreign ? " (another process)" : "", tm_errname(ret),
		     tm_errname(p.allow[0]), p.n > 1 ? "|" : "",
		     p.n > 1 ? tm_errname(p.allow[1]) : "");
	cnt_checks++;
	if (!ret && to_dev && !argro_used) {
		const struct tm_hmm_cmd *o = (const void *)arg;

		if (o->cpages != c->npages)
			FAIL("hmm MIGRATE_TO_DEV: cpages %llu of %llu",
			     (unsigned long long)o->cpages,
			     (unsigned long long)c->npages);
		for (i = 0; i < c->npages; i++)
			if (memcmp((void *)(uintptr_t)(c->ptr + i * PAGE_SZ),
				   device_content(c->addr + i * PAGE_SZ), PAGE_SZ))
				FAIL("hmm MIGRATE_TO_DEV page %" PRIu64 ": the device's copy is not what memory held",
				     i);
		cnt_checks++;
		dm_readback++;
	}
	if (chance(30))
		check_arena("after a device-memory command");
}

static void hmm_op(bool raw, bool foreign)
{
	struct tm_hmm_cmd c = { 0 }, eff;
	unsigned long cmd = hmm_cmd_list[chance(85) ? rn(3) : rn(9)], req;
	struct pred p = { 0 };
	uint8_t *arg = argpage + rn(64) * 8;
	size_t outlen = 0;
	bool argbad = false, argro_used = false;
	uint64_t size;
	int ret, fdi = (int)rn(2);

	c.addr = chance(80) ? arena_addr() : gen_addr();
	c.npages = chance(80) ? 1 + rn(chance(70) ? 4 : 24) :
		   (chance(50) ? gen_size(c.addr) / PAGE_SZ : gen_u64_edge(10));
	c.ptr = cmd == TM_HMM_IOC_SNAPSHOT ?
		(chance(85) ? (uintptr_t)snapbuf + rn(64) : gen_ptr(c.npages)) :
		gen_ptr(c.npages * PAGE_SZ);
	c.cpages = rnd();
	c.faults = rnd();
	eff = c;
	size = eff.npages * PAGE_SZ;

	if (raw && chance(70)) {
		/* Any other size or direction is another command: ENOTTY. */
		unsigned int sz = (unsigned int)rn(80), dir = (unsigned int)rn(4);

		if (sz == 40 && dir == 3)
			sz = 41;
		cmd = _IOC(dir, 'H', _IOC_NR(cmd), sz);
	} else if (raw) {
		/* 0x08 is FLAGS (not fuzzed yet): from 0x09, READ_UNLOCKED, on */
		cmd = _IOC(_IOC_READ | _IOC_WRITE, 'H', 9 + rn(247), 40);
	}
	/* req is issued; cmd is what the model predicts it as */
	req = cmd;
	if (cmd == TM_HMM_IOC_READ_UNLOCKED && hmm_read_unlocked())
		cmd = TM_HMM_IOC_READ;
	switch (chance(90) ? 0 : rn(4)) {
	case 1:
		arg = NULL;
		argbad = true;
		break;
	case 2:
		arg = argpage + 2 * PAGE_SZ - 20;
		argbad = true;
		break;
	case 3:
		mprotect(argro, PAGE_SZ, PROT_READ | PROT_WRITE);
		memcpy(argro, &c, sizeof(c));
		mprotect(argro, PAGE_SZ, PROT_READ);
		arg = argro;
		argro_used = true;
		break;
	default:
		break;
	}
	if (arg && !argro_used)
		memcpy(arg, &c, argbad ? 20 : sizeof(c));

	if (devmem_cmd(cmd) && hmm_devmem) {
		hmm_devmem_op(cmd, arg, &c, argbad, argro_used, foreign, fdi);
		return;
	}
	if ((cmd == TM_HMM_IOC_EXCLUSIVE || cmd == TM_HMM_IOC_CHECK_EXCLUSIVE) &&
	    hmm_exclusive) {
		hmm_excl_op(cmd, arg, &c, argbad, argro_used, foreign, fdi);
		return;
	}
	if (devmem_cmd(cmd) || cmd == TM_HMM_IOC_EXCLUSIVE ||
	    cmd == TM_HMM_IOC_CHECK_EXCLUSIVE ||
	    cmd == TM_HMM_IOC_READ_UNLOCKED) {
		allow(&p, -EOPNOTSUPP);
	} else if (cmd != TM_HMM_IOC_READ && cmd != TM_HMM_IOC_WRITE &&
		   cmd != TM_HMM_IOC_SNAPSHOT) {
		allow(&p, -ENOTTY);
	} else if (argbad) {
		allow(&p, -EFAULT);
	} else if (!eff.npages || eff.npages > (~0ull >> 12)) {
		allow(&p, -EINVAL);
	} else if (check_range(eff.addr, eff.npages * PAGE_SZ)) {
		allow(&p, -EINVAL);
	} else if (foreign) {
		allow(&p, -EACCES);
	} else if (cmd == TM_HMM_IOC_SNAPSHOT) {
		int r = mem_range(eff.ptr, eff.npages, true);

		if (r == R_UNKNOWN) {
			cnt_skipped++;
			return;
		}
		allow(&p, r ? -EFAULT : 0);
		if (in_range(eff.ptr, snapbuf, SNAPBUF_PAGES * PAGE_SZ)) {
			outlen = (uintptr_t)snapbuf + SNAPBUF_PAGES * PAGE_SZ - eff.ptr;
			memset((void *)(uintptr_t)eff.ptr, 0xCC, outlen);
		}
	} else {
		int ok = access_ok_model(eff.ptr, size);

		if (!ok) {
			allow(&p, -EFAULT);
		} else {
			walk_access(NULL, cmd == TM_HMM_IOC_WRITE, eff.addr,
				    size, eff.ptr, &p);
			if (ok == 2)
				allow(&p, -EFAULT);
		}
		if (p.skip) {
			cnt_skipped++;
			return;
		}
		if (in_arena(eff.ptr) && p.pages) {
			cnt_skipped++;
			return;
		}
	}
	if (cmd == TM_HMM_IOC_WRITE && p.n == 1 && p.pages &&
	    !mem_range(eff.ptr, p.pages * PAGE_SZ, false))
		memcpy(scratch, (void *)(uintptr_t)eff.ptr, p.pages * PAGE_SZ);

	ret = tm_ioctl(hmm_fd[fdi], req, arg);
	count_ret(ret);
	/* Success, then the copy back into a read-only argument fails. */
	if (argro_used && allowed(&p, 0) && ret == -EFAULT)
		ret = 0;
	if (!allowed(&p, ret)) {
		FAIL("hmm ioctl 0x%lx arg %p (bad %d, ro %d) addr 0x%llx npages 0x%llx ptr 0x%llx%s: %s, expected %s%s%s (pages %llu, buffer fault %d)",
		     req, (void *)arg, argbad, argro_used,
		     (unsigned long long)eff.addr,
		     (unsigned long long)eff.npages, (unsigned long long)eff.ptr,
		     foreign ? " (another process)" : "", tm_errname(ret),
		     tm_errname(p.allow[0]), p.n > 1 ? "|" : "",
		     p.n > 1 ? tm_errname(p.allow[1]) : "",
		     (unsigned long long)p.pages, p.buf_fault);
	}
	cnt_checks++;
	if (foreign || (cmd != TM_HMM_IOC_READ && cmd != TM_HMM_IOC_WRITE &&
			cmd != TM_HMM_IOC_SNAPSHOT))
		return;
	if (!ret && arg && !argro_used && !argbad) {
		struct tm_hmm_cmd *o = (void *)arg;

		if (o->cpages != eff.npages)
			FAIL("hmm ioctl 0x%lx: cpages %llu of %llu", cmd,
			     (unsigned long long)o->cpages,
			     (unsigned long long)eff.npages);
	}
	if (ret && arg && !argro_used && !argbad) {
		struct tm_hmm_cmd *o = (void *)arg;

		if (o->cpages != c.cpages || o->faults != c.faults)
			FAIL("hmm ioctl 0x%lx failed (%s) but wrote its out fields",
			     cmd, tm_errname(ret));
	}
	if (cmd == TM_HMM_IOC_SNAPSHOT && in_arena(eff.ptr)) {
		/* The output went into the arena: take it into the model. */
		uint64_t k;

		if (!ret)
			hmm_check_snap(eff.addr, (uint8_t *)(uintptr_t)eff.ptr,
				       eff.npages);
		for (k = eff.ptr; k < eff.ptr + eff.npages && in_arena(k); k++)
			if (kind[(k - (uintptr_t)arena) / PAGE_SZ] == K_RW)
				*shadow_of(k) = *(uint8_t *)(uintptr_t)k;
		return;
	}
	if (cmd == TM_HMM_IOC_SNAPSHOT) {
		if (!ret && outlen)
			hmm_check_snap(eff.addr, (uint8_t *)(uintptr_t)eff.ptr,
				       eff.npages < outlen ? eff.npages : outlen);
		return;
	}
	if (p.n != 1 || !allowed(&p, ret))
		return;
	if (cmd == TM_HMM_IOC_READ) {
		uint64_t i;

		for (i = 0; i < p.pages; i++)
			if (memcmp((void *)(uintptr_t)(eff.ptr + i * PAGE_SZ),
				   device_content(eff.addr + i * PAGE_SZ), PAGE_SZ))
				FAIL("hmm READ page %" PRIu64 ": data not in memory", i);
		cnt_checks++;
	} else {
		uint64_t i;

		for (i = 0; i < p.pages; i++)
			memcpy(shadow_of(eff.addr + i * PAGE_SZ), scratch + i * PAGE_SZ, PAGE_SZ);
		if (ret && p.buf_fault && in_arena(eff.addr + p.pages * PAGE_SZ)) {
			/* resync a partly written page */
			uint64_t d = eff.addr + p.pages * PAGE_SZ;

			memcpy(shadow_of(d), arena_page(d), PAGE_SZ);
		}
		check_arena("after hmm WRITE");
	}
}

static void hmm_cmds_fn(void)
{
	uint64_t calls = share(10), last = 0;

	while (cnt_calls < calls) {
		if (chance(3)) {
			cpu_op();
			continue;
		}
		hmm_op(false, false);
		if (cnt_calls - last >= 64) {
			last = cnt_calls;
			check_arena("periodic");
		}
	}
	check_arena("at the end");
}

static void hmm_raw_fn(void)
{
	uint64_t calls = share(4);

	while (cnt_calls < calls)
		hmm_op(true, false);
	check_arena("at the end");
}

static void hmm_foreign_fn(void)
{
	uint64_t calls = share(3);
	pid_t pid;

	/* Mirror some of the arena in this process first. */
	{
		struct tm_hmm_cmd c = { .addr = (uintptr_t)arena,
					.ptr = (uintptr_t)bufrw, .npages = 64 };
		int ret = tm_ioctl(hmm_fd[0], TM_HMM_IOC_READ, &c);

		count_ret(ret);
		if (ret)
			FAIL("hmm READ in the owner failed: %s", tm_errname(ret));
	}
	pid = tm_fork();
	if (!pid) {
		/* The child counts its own calls; the parent keeps the READ. */
		cnt_calls = 0;
		cnt_checks = 0;
		memset(cnt_err, 0, sizeof(cnt_err));
		while (cnt_calls < calls)
			hmm_op(chance(20), true);
		check_arena("in the child");
		print_counts("hmm_foreign (the other process)");
		_exit(0);
	}
	tm_must_wait_ok(pid);
	check_arena("in the parent");
}

TEST_OPTS(hmm_cmds, 0, 0)
{
	hmm_run("hmm_cmds", hmm_cmds_fn);
}

TEST_OPTS(hmm_raw, 0, 0)
{
	hmm_run("hmm_raw", hmm_raw_fn);
}

TEST_OPTS(hmm_foreign, 0, 0)
{
	hmm_run("hmm_foreign", hmm_foreign_fn);
}
