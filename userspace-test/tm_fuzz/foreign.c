// SPDX-License-Identifier: GPL-2.0
/*
 * tm_fuzz: another address space, drm_foreign.
 *
 * A forked child issues random DRM ioctls (biased towards valid arguments,
 * in every issue mode) on the parent's two files: each gets -EACCES once
 * its arguments pass the checks that come first, and touches nothing: the
 * child's buffer and its copy of the arena, the parent's memory and both
 * files' STATS are as they were.
 */
#include <sys/ioctl.h>
#include <unistd.h>

#include "tm_fuzz.h"

static int foreign_expect(unsigned long cmd, const uint8_t *eff)
{
	switch (_IOC_NR(cmd) - 0x40) {
	case DRM_TEST_MIRROR_BIND: {
		const struct drm_test_mirror_bind *a = (const void *)eff;

		if ((a->flags & ~TEST_MIRROR_BIND_FLAGS) ||
		    !(a->flags & TEST_MIRROR_BIND_READ) || a->reserved[0] ||
		    a->reserved[1])
			return -EINVAL;
		break;
	}
	case DRM_TEST_MIRROR_UNBIND:
		if (((const struct drm_test_mirror_unbind *)eff)->flags)
			return -EINVAL;
		break;
	case DRM_TEST_MIRROR_READ:
	case DRM_TEST_MIRROR_WRITE: {
		const struct drm_test_mirror_access *a = (const void *)eff;

		if (a->flags || a->pad || a->reserved)
			return -EINVAL;
		break;
	}
	case DRM_TEST_MIRROR_SNAPSHOT: {
		const struct drm_test_mirror_snapshot *a = (const void *)eff;

		if (a->flags || a->pad)
			return -EINVAL;
		break;
	}
	case DRM_TEST_MIRROR_STATS: {
		const struct drm_test_mirror_stats *a = (const void *)eff;
		int i;

		if (a->flags & ~TEST_MIRROR_STATS_RESET)
			return -EINVAL;
		for (i = 0; i < (int)ARRAY_SIZE(a->reserved); i++)
			if (a->reserved[i])
				return -EINVAL;
		break;
	}
	case DRM_TEST_MIRROR_EVENTS: {
		const struct drm_test_mirror_events *a = (const void *)eff;
		uint32_t max = a->count < 4096 ? a->count : 4096;

		if ((a->flags & ~TEST_MIRROR_EVENTS_CONSUME) || a->reserved)
			return -EINVAL;
		if (!access_ok_model(a->ptr, (uint64_t)max * EVSZ))
			return -EFAULT;
		break;
	}
#ifdef DRM_IOCTL_TEST_MIRROR_MIGRATE
	case DRM_TEST_MIRROR_MIGRATE: {
		const struct drm_test_mirror_migrate *a = (const void *)eff;

		if (a->flags || a->pad || a->reserved)
			return -EINVAL;
		break;
	}
#endif
	case DRM_TEST_MIRROR_DEVMEM: {
		const struct drm_test_mirror_devmem *a = (const void *)eff;

		if (a->flags || a->reserved || a->op > TEST_MIRROR_DEVMEM_TO_SYSTEM)
			return -EINVAL;
		if (!devmem_cap)
			return -EOPNOTSUPP;
		break;
	}
	case DRM_TEST_MIRROR_ATOMIC: {
		const struct drm_test_mirror_atomic *a = (const void *)eff;

		if (a->op > TEST_MIRROR_ATOMIC_CMPXCHG ||
		    (a->op == TEST_MIRROR_ATOMIC_FETCH_ADD && a->compare) ||
		    a->flags || a->pad || a->reserved[0] || a->reserved[1])
			return -EINVAL;
		if (!excl_cap)
			return -EOPNOTSUPP;
		break;
	}
	case DRM_TEST_MIRROR_SUBMIT:
		return foreign_submit_expect((const void *)eff);
	case DRM_TEST_MIRROR_WAIT_UFENCE: {
		/* the front-end's fields, then the caller; the rest is after */
		const struct drm_test_mirror_wait_ufence *a = (const void *)eff;

		if (a->flags || a->pad)
			return -EINVAL;
		break;
	}
	}
	return -EACCES;
}

/* Random arguments of one DRM ioctl, biased towards valid ones. */
static size_t gen_any(unsigned long *cmd, void *arg)
{
	unsigned int k = (unsigned int)rn(n_drm_cmds);
	size_t size = _IOC_SIZE(drm_cmds[k]);
	uint64_t *w = arg;
	size_t i;

	*cmd = drm_cmds[k];
	for (i = 0; i < size / 8; i++)
		w[i] = chance(70) ? 0 : gen_addr();
	switch (k) {
	case DRM_TEST_MIRROR_BIND:
		((struct drm_test_mirror_bind *)arg)->addr = arena_addr();
		((struct drm_test_mirror_bind *)arg)->size = (1 + rn(8)) * PAGE_SZ;
		((struct drm_test_mirror_bind *)arg)->flags = gen_bind_flags();
		break;
	case DRM_TEST_MIRROR_UNBIND:
		((struct drm_test_mirror_unbind *)arg)->handle = (uint32_t)rn(40);
		((struct drm_test_mirror_unbind *)arg)->flags = chance(90) ? 0 : 1;
		break;
	case DRM_TEST_MIRROR_READ:
	case DRM_TEST_MIRROR_WRITE:
		((struct drm_test_mirror_access *)arg)->addr = arena_addr();
		((struct drm_test_mirror_access *)arg)->size = (1 + rn(8)) * PAGE_SZ;
		((struct drm_test_mirror_access *)arg)->ptr = (uintptr_t)bufrw;
		break;
	case DRM_TEST_MIRROR_STATS:
		((struct drm_test_mirror_stats *)arg)->flags = (uint32_t)rn(3);
		break;
	case DRM_TEST_MIRROR_EVENTS:
		((struct drm_test_mirror_events *)arg)->ptr = (uintptr_t)snapbuf;
		((struct drm_test_mirror_events *)arg)->count = (uint32_t)rn(64);
		((struct drm_test_mirror_events *)arg)->flags = (uint32_t)rn(3);
		break;
	case DRM_TEST_MIRROR_DEVMEM:
		((struct drm_test_mirror_devmem *)arg)->addr = arena_addr();
		((struct drm_test_mirror_devmem *)arg)->size = (1 + rn(8)) * PAGE_SZ;
		((struct drm_test_mirror_devmem *)arg)->op = (uint32_t)rn(3);
		if (chance(80))
			((struct drm_test_mirror_devmem *)arg)->flags = 0;
		break;
	case DRM_TEST_MIRROR_ATOMIC:
		((struct drm_test_mirror_atomic *)arg)->addr = arena_addr() & ~7ull;
		((struct drm_test_mirror_atomic *)arg)->op = (uint32_t)rn(3);
		if (chance(80))
			((struct drm_test_mirror_atomic *)arg)->compare = 0;
		if (chance(80))
			((struct drm_test_mirror_atomic *)arg)->flags = 0;
		break;
	case DRM_TEST_MIRROR_SUBMIT:
		gen_foreign_submit(arg);
		break;
	case DRM_TEST_MIRROR_WAIT_UFENCE:
		/* -EACCES comes before the address and the timeout are read */
		((struct drm_test_mirror_wait_ufence *)arg)->addr =
			(uintptr_t)bufrw + rn(BUF_RW_PAGES * PAGE_SZ / 8) * 8 +
			(chance(90) ? 0 : 4);
		((struct drm_test_mirror_wait_ufence *)arg)->timeout_ns =
			chance(90) ? 0 : -1;
		((struct drm_test_mirror_wait_ufence *)arg)->pad = 0;
		if (chance(80))
			((struct drm_test_mirror_wait_ufence *)arg)->flags = 0;
		break;
	default:
		break;
	}
	return size;
}

TEST_OPTS(drm_foreign, 0, 0)
{
	uint64_t calls = share(4), per_child = 2000, done = 0;
	uint8_t *rwcopy;
	int pipefd[2];

	seed_for("drm_foreign");
	drm_setup(fd);
	seed_bindings();
	/* Mirror part of the arena in the parent, so entries exist. */
	{
		struct tm_result r;
		int ret = tm_read(fd, arena, 64 * PAGE_SZ, bufrw, &r);

		count_ret(ret);
		if (ret)
			FAIL("parent READ: %s", tm_errname(ret));
	}
	rwcopy = must_mmap(NULL, BUF_RW_PAGES * PAGE_SZ, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1);
	while (done < calls) {
		uint64_t n = calls - done < per_child ? calls - done : per_child;
		uint64_t child_seed = rnd();
		uint64_t got[NERR + 3];
		pid_t pid;

		if (pipe(pipefd))
			FAIL("pipe: %s", tm_errname(errno));
		pid = tm_fork();
		if (!pid) {
			uint64_t i, ncalls = 0, nchecks = 0;

			close(pipefd[0]);
			rs = child_seed;
			memset(cnt_err, 0, sizeof(cnt_err));
			for (i = 0; i < n; i++) {
				uint8_t arg[512];
				unsigned long cmd;
				struct issue is;
				struct pred p = { 0 };
				size_t size = gen_any(&cmd, arg);
				enum issue_mode mode = pick_mode(15, 10);
				int want, ret;

				issue_prepare(&is, cmd, arg, size, mode);
				want = foreign_expect(is.req, is.eff);
				allow(&p, want);
				memcpy(rwcopy, bufrw, BUF_RW_PAGES * PAGE_SZ);
				ret = tm_ioctl(mf[rn(2)].fd, is.req, is.uarg);
				ncalls++;
				if (is.copyin_err)
					want = is.copyin_err;
				else if (is.copyout_err)
					want = -EFAULT;
				count_ret(ret);
				if (ret != want)
					FAIL("another process: ioctl 0x%lx gave %s, expected %s",
					     is.req, tm_errname(ret),
					     tm_errname(want));
				/* Nothing of ours was touched either. */
				if (memcmp(rwcopy, bufrw, BUF_RW_PAGES * PAGE_SZ))
					FAIL("another process: ioctl 0x%lx (%s) changed its buffer",
					     is.req, tm_errname(ret));
				nchecks += 2;
			}
			/* The child's copy of the arena is intact. */
			check_arena("in the child");
			memset(got, 0, sizeof(got));
			memcpy(got + 2, cnt_err, sizeof(cnt_err));
			got[0] = ncalls;
			got[1] = nchecks;
			if (write(pipefd[1], got, sizeof(got)) != sizeof(got))
				_exit(3);
			_exit(0);
		}
		close(pipefd[1]);
		if (read(pipefd[0], got, sizeof(got)) != sizeof(got))
			memset(got, 0, sizeof(got));
		close(pipefd[0]);
		tm_must_wait_ok(pid);
		{
			int k;

			for (k = 0; k <= NERR; k++)
				cnt_err[k] += got[2 + k];
		}
		cnt_calls += got[0];
		cnt_checks += got[1];
		done += n;
		/* The parent's memory and files are as they were. */
		check_arena("in the parent, after the child");
		{
			struct drm_test_mirror_stats st;

			tm_must_stats(fd, &st);
			check_stats_out(&mf[0], &st);
			tm_must_stats(mf[1].fd, &st);
			check_stats_out(&mf[1], &st);
		}
		op_access(IM_NORMAL, false);
	}
	drm_teardown("drm_foreign");
}
