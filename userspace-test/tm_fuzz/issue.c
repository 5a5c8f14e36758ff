// SPDX-License-Identifier: GPL-2.0
/*
 * tm_fuzz: issuing a DRM ioctl, normally, raw (another size or direction)
 * or with a bad argument pointer.
 *
 * A call's semantic argument is laid out in the argument pages according
 * to the mode: a raw ioctl number of another size or direction (DRM
 * zero-extends and truncates what it copies in and out), or an argument
 * pointer that is NULL, a kernel address, a guard page, runs into one, or
 * is read-only (the handler runs, the copy back fails). issue_prepare()
 * knows what the handler will see, and issue_call() checks the errno
 * against the prediction, and that nothing past what drm_ioctl copies out
 * changed.
 */
#include <stdio.h>
#include <sys/ioctl.h>

#include "tm_fuzz.h"

const unsigned long drm_cmds[] = {
	DRM_IOCTL_TEST_MIRROR_BIND,
	DRM_IOCTL_TEST_MIRROR_UNBIND,
	DRM_IOCTL_TEST_MIRROR_READ,
	DRM_IOCTL_TEST_MIRROR_WRITE,
	DRM_IOCTL_TEST_MIRROR_SNAPSHOT,
	DRM_IOCTL_TEST_MIRROR_STATS,
	DRM_IOCTL_TEST_MIRROR_EVENTS,
#ifdef DRM_IOCTL_TEST_MIRROR_MIGRATE
	DRM_IOCTL_TEST_MIRROR_MIGRATE,
#endif
	DRM_IOCTL_TEST_MIRROR_DEVMEM,
	DRM_IOCTL_TEST_MIRROR_ATOMIC,
	DRM_IOCTL_TEST_MIRROR_SUBMIT,
	DRM_IOCTL_TEST_MIRROR_WAIT_UFENCE,
	/*
	 * Every number the driver knows, in order: drm_raw_nr takes the ones
	 * beyond the last as unknown.
	 */
};
const size_t n_drm_cmds = sizeof(drm_cmds) / sizeof(drm_cmds[0]);

/*
 * Lay the semantic argument out according to the mode. After this,
 * is->eff is exactly what the driver's handler will see.
 */
void issue_prepare(struct issue *is, unsigned long cmd,
		   const void *arg, size_t size, enum issue_mode mode)
{
	unsigned int dir = _IOC_DIR(cmd);
	bool cin = dir & _IOC_WRITE, cout = dir & _IOC_READ;
	uint8_t *buf = argpage;

	memset(is, 0, sizeof(*is));
	is->drv_size = size;
	is->usize = size;
	if (mode == IM_RAW) {
		unsigned int d = (unsigned int)rn(4);

		switch (rn(6)) {
		case 0:
			is->usize = rn(size);			/* short */
			break;
		case 1:
			is->usize = size + 1 + rn(64);		/* long */
			break;
		case 2:
			is->usize = size + rn(PAGE_SZ);		/* much longer */
			break;
		case 3:
			is->usize = rn(2) ? 0 : size;
			break;
		default:
			is->usize = rn(2 * size + 8);
			break;
		}
		if (is->usize > 2 * PAGE_SZ - 64)
			is->usize = 2 * PAGE_SZ - 64;
		cmd = _IOC(d, _IOC_TYPE(cmd), _IOC_NR(cmd), is->usize);
		dir = d;
	}
	is->req = cmd;
	is->in = (dir & _IOC_WRITE) && cin ? is->usize : 0;
	is->out = (dir & _IOC_READ) && cout ? is->usize : 0;

	/* The argument buffer: the semantic struct, then random bytes. */
	buf = argpage + (chance(30) ? 2 * PAGE_SZ - is->usize : rn(64) * 8);
	if (buf + is->usize > argpage + 2 * PAGE_SZ)
		buf = argpage;
	memset(argpage, 0xEE, 2 * PAGE_SZ);
	memcpy(buf, arg, is->usize < size ? is->usize : size);
	if (is->usize > size) {
		size_t k;

		for (k = size; k < is->usize; k++)
			buf[k] = chance(50) ? 0 : (uint8_t)rnd();
	}
	is->uarg = buf;
	is->out_visible = is->out >= size;

	if (mode == IM_ARGPTR) {
		switch (rn(5)) {
		case 0:
			is->uarg = NULL;
			break;
		case 1:
			is->uarg = (uint8_t *)0xffff888000000000ull;
			break;
		case 2:
			is->uarg = argpage + 2 * PAGE_SZ;		/* guard */
			break;
		case 3:	/* runs into the guard */
			is->uarg = argpage + 2 * PAGE_SZ - (size > 8 ? size / 2 : 1);
			memcpy(is->uarg, arg, argpage + 2 * PAGE_SZ - is->uarg);
			break;
		default: /* read-only: the handler runs, the copy back fails */
			mprotect(argro, PAGE_SZ, PROT_READ | PROT_WRITE);
			memcpy(argro + PAGE_SZ - size, arg, size);
			mprotect(argro, PAGE_SZ, PROT_READ);
			is->uarg = argro + PAGE_SZ - size;
			break;
		}
		is->out_visible = false;
	}

	if (is->in && mem_range((uintptr_t)is->uarg, is->in, false))
		is->copyin_err = -EFAULT;
	if (is->out && mem_range((uintptr_t)is->uarg, is->out, true))
		is->copyout_err = -EFAULT;
	memset(is->eff, 0, sizeof(is->eff));
	if (!is->copyin_err && is->in)
		memcpy(is->eff, is->uarg, is->in < size ? is->in : size);
}

/* Bytes the caller can see after the call, as drm_ioctl left them. */
static void issue_check_tail(const struct issue *is, const uint8_t *before)
{
	size_t k;

	/* Past what drm_ioctl copies out, nothing may change. */
	if (is->uarg < argpage || is->uarg + is->usize > argpage + 2 * PAGE_SZ)
		return;
	for (k = is->out; k < is->usize; k++)
		if (is->uarg[k] != before[k])
			FAIL("ioctl 0x%lx: argument byte %zu (beyond the %zu copied out) changed",
			     is->req, k, is->out);
	/* Copied out beyond the driver's struct: the bytes copied in, or 0. */
	for (k = is->drv_size; k < is->out; k++) {
		uint8_t want = k < is->in ? before[k] : 0;

		if (is->uarg[k] != want)
			FAIL("ioctl 0x%lx: byte %zu of a long struct came back as 0x%02x, expected 0x%02x",
			     is->req, k, is->uarg[k], want);
	}
	cnt_checks++;
}

int issue_call(struct issue *is, int fd, const struct pred *p,
	       const char *what)
{
	static uint8_t before[2 * 4096 + 64];
	int ret, e;
	bool ok;

	if (is->uarg >= argpage && is->uarg + is->usize <= argpage + 2 * PAGE_SZ &&
	    is->usize <= sizeof(before))
		memcpy(before, is->uarg, is->usize);
	ret = tm_ioctl(fd, is->req, is->uarg);
	count_ret(ret);
	if (opt_trace) {
		const uint64_t *w = (const uint64_t *)is->eff;

		tm_diag("call %llu: %s fd %d req 0x%lx eff %llx %llx %llx %llx %llx -> %s",
			(unsigned long long)cnt_calls, what, fd, is->req,
			(unsigned long long)w[0], (unsigned long long)w[1],
			(unsigned long long)w[2], (unsigned long long)w[3],
			(unsigned long long)w[4], tm_errname(ret));
	}
	if (is->copyin_err)
		ok = ret == is->copyin_err;
	else if (is->copyout_err)
		ok = ret == -EFAULT;
	else
		ok = allowed(p, ret);
	if (!ok) {
		char exp[128];
		size_t n = 0;
		int i;

		if (is->copyin_err || is->copyout_err)
			n += snprintf(exp, sizeof(exp), "EFAULT (argument pointer)");
		for (i = 0; i < p->n && !is->copyin_err && !is->copyout_err; i++)
			n += snprintf(exp + n, sizeof(exp) - n, "%s%s",
				      i ? "|" : "", tm_errname(p->allow[i]));
		e = ret;
		FAIL("%s: ioctl 0x%lx (size %zu, in %zu, out %zu, arg %p) returned %s, expected %s",
		     what, is->req, is->usize, is->in, is->out,
		     (void *)is->uarg, tm_errname(e), exp);
	}
	if (!is->copyin_err && is->usize <= sizeof(before))
		issue_check_tail(is, before);
	cnt_checks++;
	return ret;
}

/* True if the handler ran (its side effects happened). */
bool handler_ran(const struct issue *is)
{
	return !is->copyin_err;
}
