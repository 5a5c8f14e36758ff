// SPDX-License-Identifier: GPL-2.0
/*
 * tm_stress: the soft operations, none of which may make a device access
 * fail.
 *
 * MADV_PAGEOUT (reclaim through zram), clear_refs (soft-dirty), and fork:
 * the child checks its copy (whole words of each address, no id written
 * after fork() returned in the parent), gets -EACCES from the device, and
 * writes pages of its own that the parent's device must never see.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tm_stress.h"

/* In the fork child: check this copy, without locks (other threads are gone). */
static int child_check(int pipe_rd)
{
	uint32_t limit = 0, ids[8];
	uint8_t *buf = malloc(PAGE_SZ);
	unsigned int i, nids, badw;
	size_t p;
	int memfd, ret, bad = 0;

	if (read(pipe_rd, &limit, sizeof(limit)) != sizeof(limit))
		return 10;
	memfd = open("/proc/self/mem", O_RDONLY);
	if (memfd < 0 || !buf)
		return 11;
	for (i = 0; i < nslots; i++) {
		struct slot *s = &slots[i];

		/* The device refuses this process. */
		ret = tm_read(dev[i & 1], s->addr, PAGE_SZ, buf, NULL);
		if (ret != -EACCES) {
			fprintf(stderr, "# fork child: READ gave %s\n", tm_errname(ret));
			bad = 12;
		}
		for (p = 0; p < s->np; p++) {
			uint64_t a = (uintptr_t)s->addr + p * PAGE_SZ;

			if (pread(memfd, buf, PAGE_SZ, (off_t)a) != (ssize_t)PAGE_SZ)
				continue;	/* unmapped at fork time */
			/*
			 * Whole words of this address. A page may hold several
			 * ids: a CPU fill was in progress at fork time, or a
			 * failed device write left its start there (cut at a
			 * source page boundary, 16-byte aligned here). A write
			 * in flight is never seen in part (fork's
			 * PROTECTION_PAGE waits for the page being copied).
			 */
			if (!decode_page(buf, a, ids, &nids, 8, &badw)) {
				printf("# fork child: page 0x%" PRIx64 " word %u is 0x%016" PRIx64 "\n",
				       a, badw, ((uint64_t *)buf)[badw]);
				bad = 13;
				continue;
			}
			for (unsigned int k = 0; k < nids; k++)
				if (ids[k] >= limit && ids[k] != 0) {
					printf("# fork child: page 0x%" PRIx64 " holds id %u, written after fork() returned (next id then %u)\n",
					       a, ids[k], limit);
					bad = 14;
				}
			inc(C_FORK_PAGES);
		}
	}
	/* Private writes of the child: the parent's device must never see them. */
	for (i = 0; i < nslots; i++) {
		struct slot *s = &slots[i];
		uint64_t a = (uintptr_t)s->addr;

		if (pread(memfd, buf, PAGE_SZ, (off_t)a) != (ssize_t)PAGE_SZ)
			continue;
		if (mprotect(s->addr, PAGE_SZ, PROT_READ | PROT_WRITE) == 0)
			fill_page(s->addr, a, CHILD_ID);
	}
	return bad;
}

void *soft_ops(void *arg)
{
	uint64_t r = (uintptr_t)arg | 1;

	while (!stop) {
		unsigned int op = (unsigned int)(xrand(&r) % 10);
		struct slot *s = &slots[xrand(&r) % nslots];
		size_t first = xrand(&r) % s->np;
		size_t n = 1 + xrand(&r) % (s->np - first);

		if (op < 6) {
			/* may fail on a range being remapped: that's fine */
			if (madvise(s->addr + first * PAGE_SZ, n * PAGE_SZ, MADV_PAGEOUT))
				madvise(s->addr + first * PAGE_SZ, n * PAGE_SZ, MADV_COLD);
			inc(C_PAGEOUT);
		} else if (op < 8) {
			int fd = open("/proc/self/clear_refs", O_WRONLY);

			if (fd >= 0) {
				if (write(fd, "4", 1) != 1)
					violation("clear_refs: %s", tm_errname(errno));
				close(fd);
			}
			inc(C_CLEARREFS);
		} else {
			int pfd[2], status;
			uint32_t limit;
			pid_t pid;

			if (pipe(pfd))
				continue;
			fflush(stdout);
			pid = fork();
			if (pid == 0) {
				close(pfd[1]);
				_exit(child_check(pfd[0]));
			}
			limit = atomic_load(&next_id);
			close(pfd[0]);
			if (pid < 0) {
				close(pfd[1]);
				continue;
			}
			if (write(pfd[1], &limit, sizeof(limit)) != sizeof(limit))
				violation("pipe to the fork child");
			close(pfd[1]);
			while (waitpid(pid, &status, 0) < 0 && !stop)
				;
			if (!WIFEXITED(status) || WEXITSTATUS(status))
				violation("fork child: status 0x%x (see its lines above)",
					  status);
			inc(C_FORK);
		}
		atomic_fetch_add(&progress, 1);
		usleep(xrand(&r) % 20000);
	}
	return NULL;
}
