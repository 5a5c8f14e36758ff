// SPDX-License-Identifier: GPL-2.0
/*
 * tm_stress: the device's own memory, where the kernel has it
 * (TEST_MIRROR_CAP_DEVICE_PRIVATE).
 *
 * One thread moves random ranges of random slots to device memory and back
 * through either file (DEVMEM), now and then the whole THP slot (one 2 MiB
 * device folio with TEST_MIRROR_CAP_DEVICE_HUGE), racing the mutators, the soft operations,
 * the readers and the writers. It changes no data, so the model does not
 * hear of it: every check of the race stays exact, whether a page is in
 * system memory, in device memory (read and written by the device through
 * its VRAM copy, brought home by the CPU's touch, by the move back, by
 * eviction, by fork's copy) or on its way. The move may fail only as a
 * change of the slot explains: -ENOENT (unbound while the mutator
 * rebinds), -EFAULT (tracking dropped, no VMA, a PROT_NONE range the
 * device cannot map), -EINVAL (the range no longer one anonymous VMA), and
 * -EBUSY only if invalidations reached the file meanwhile.
 */
#include <unistd.h>

#include "tm_stress.h"

bool devmem_cap;

void *devmem_mover(void *arg)
{
	uint64_t r = (uintptr_t)arg | 1;

	while (!stop) {
		struct slot *s = &slots[xrand(&r) % nslots];
		size_t first = xrand(&r) % s->np;
		size_t n = 1 + xrand(&r) % (s->np - first < 16 ? s->np - first : 16);

		/* the THP slot, whole: a 2 MiB device folio, where there are */
		if (s->huge && !(xrand(&r) & 3)) {
			first = 0;
			n = s->np;
		}
		struct drm_test_mirror_devmem a = {
			.addr = (uintptr_t)s->addr + first * PAGE_SZ,
			.size = n * PAGE_SZ,
			.op = (xrand(&r) % 3) ? TEST_MIRROR_DEVMEM_TO_DEVICE :
					       TEST_MIRROR_DEVMEM_TO_SYSTEM,
		};
		int fdi = (int)(xrand(&r) & 1), ret;
		uint64_t busy0 = races(fdi);
		/* a job of the file on the range makes the move -EBUSY */
		bool job = job_may_use(fdi, s, first, n);

		ret = tm_ioctl(dev[fdi], DRM_IOCTL_TEST_MIRROR_DEVMEM, &a);
		inc(a.op == TEST_MIRROR_DEVMEM_TO_DEVICE ? C_DEVMEM_TO : C_DEVMEM_SYS);
		ctr[C_DEVMEM_PAGES] += a.pages;
		if (a.pages > n)
			violation("DEVMEM op %u (file %d) of slot %td [%zu, +%zu): %llu pages moved",
				  a.op, fdi, s - slots, first, n,
				  (unsigned long long)a.pages);
		if (ret == -EBUSY) {
			if (!job)
				busy_check(fdi, busy0, "DEVMEM op %u (file %d) of slot %td [%zu, +%zu)",
					   a.op, fdi, s - slots, first, n);
		} else if (ret && ret != -ENOENT && ret != -EFAULT && ret != -EINVAL)
			violation("DEVMEM op %u (file %d) of slot %td [%zu, +%zu): %s",
				  a.op, fdi, s - slots, first, n, tm_errname(ret));
		if (ret)
			inc(C_DEVMEM_ERR);
		if (!(xrand(&r) & 7))
			usleep(200);
	}
	return NULL;
}
