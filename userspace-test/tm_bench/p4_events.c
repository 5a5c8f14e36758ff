// SPDX-License-Identifier: GPL-2.0
/*
 * tm_bench: P4 event-aware savings. A read-only device workload (a
 * stream of the whole buffer, or a gather of one page in 16) under
 * repeated write-protect events (fork, clear_refs, mprotect RO<->RW), aware
 * and blind files side by side on the same buffer: the time each event
 * adds, the refaults, the ratio blind over aware.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tm_bench.h"

static void stats_reset(int fd)
{
	struct drm_test_mirror_stats st;

	tm_stats(fd, &st, true);
}

const char *const ev_name[NEV] = { "fork", "clear_refs", "mprotect" };

int do_event(int ev, char *p, unsigned long size)
{
	pid_t pid;
	int fd, st;

	switch (ev) {
	case EV_FORK:
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			return -errno;
		if (!pid)
			_exit(0);
		if (waitpid(pid, &st, 0) < 0)
			return -errno;
		return 0;
	case EV_CLEAR_REFS:
		fd = open("/proc/self/clear_refs", O_WRONLY);
		if (fd < 0)
			return -errno;
		if (write(fd, "4", 1) != 1) {
			close(fd);
			return -EIO;
		}
		close(fd);
		return 0;
	case EV_MPROTECT:
		if (mprotect(p, size, PROT_READ) ||
		    mprotect(p, size, PROT_READ | PROT_WRITE))
			return -errno;
		return 0;
	}
	return -EINVAL;
}

void p4_events(void)
{
	unsigned long size = smoke ? 4 * MiB : 64 * MiB;
	unsigned int iters = smoke ? 2 : 8, w, e, it, m;
	char nm[96];
	uint32_t h[2];
	int fd[2];
	char *p;

	printf("\n## P4 event-aware savings: %lu MiB buffer, read-only device workload"
	       " after each write-protect event, %u events each\n", size / MiB, iters);
	printf("# stream: device READ of the whole buffer; gather: READ of one page in 16,"
	       " one ioctl each.\n# aware and blind files are bound to the same buffer"
	       " and read in alternating order after the same event;\n# the READ"
	       " destination is re-faulted by the CPU after each event, untimed.\n");
	printf("# caps VMA_DOWNGRADE=%d (mprotect RW->RO keeps read-only entries only if 1)\n",
	       !!(caps & TEST_MIRROR_CAP_VMA_DOWNGRADE));
	p = map_populated(size, false);
	if (!p)
		return;
	fd[0] = open_fd(true, 512);
	fd[1] = open_fd(false, 512);
	if (fd[0] < 0 || fd[1] < 0)
		return;
	for (m = 0; m < 2; m++)
		h[m] = dev_bind(fd[m], p, size, TEST_MIRROR_BIND_READ |
				TEST_MIRROR_BIND_PREFAULT);
	printf("# %-7s %-11s %12s %12s %12s %12s %10s %10s %9s\n", "work", "event",
	       "aware ms", "blind ms", "aw refaults", "bl refaults", "aw pages",
	       "bl pages", "bl/aw");
	for (w = 0; w < 2; w++) {
		for (e = 0; e < NEV; e++) {
			struct smp t[2], tev, base[2];
			double ov[2];
			struct drm_test_mirror_stats st[2];
			double ratio;
			int r;

			memset(t, 0, sizeof(t));
			memset(&tev, 0, sizeof(tev));
			/* make sure both tables are full before counting */
			for (m = 0; m < 2; m++)
				dev_read(fd[m], p, size);
			/* the same workload with no event: its copy-only cost */
			memset(base, 0, sizeof(base));
			for (it = 0; it < (smoke ? 1u : 3u); it++) {
				for (m = 0; m < 2; m++) {
					uint64_t t0 = tm_now_ns();

					if (w == 0)
						dev_read(fd[m], p, size);
					else
						dev_gather(fd[m], p, size, 16);
					smp_add(&base[m], tm_now_ns() - t0);
				}
			}
			for (m = 0; m < 2; m++)
				stats_reset(fd[m]);
			for (it = 0; it < iters; it++) {
				uint64_t t0 = tm_now_ns();

				r = do_event(e, p, size);
				smp_add(&tev, tm_now_ns() - t0);
				if (r) {
					bench_err("event %s: %s", ev_name[e], tm_errname(r));
					break;
				}
				/*
				 * fork and clear_refs write-protect the READ
				 * destination too: take those CPU faults here,
				 * untimed, so the device time is the device's.
				 */
				cpu_write_touch(win, WIN_SZ);
				for (m = 0; m < 2; m++) {
					unsigned int mm = (m + it) & 1;

					t0 = tm_now_ns();
					if (w == 0)
						dev_read(fd[mm], p, size);
					else
						dev_gather(fd[mm], p, size, 16);
					smp_add(&t[mm], tm_now_ns() - t0);
				}
			}
			for (m = 0; m < 2; m++)
				st[m] = stats(fd[m]);
			ratio = med(&t[1]) / med(&t[0]);
			printf("# %-7s %-11s %12.3f %12.3f %12llu %12llu %10llu %10llu %9.2f\n",
			       w ? "gather" : "stream", ev_name[e], MS(med(&t[0])),
			       MS(med(&t[1])),
			       (unsigned long long)st[0].read_faults,
			       (unsigned long long)st[1].read_faults,
			       (unsigned long long)st[0].faulted_pages,
			       (unsigned long long)st[1].faulted_pages, ratio);
			printf("#         event %.3f ms; aware: %llu downgraded, %llu invalidated;"
			       " blind: %llu downgraded, %llu invalidated\n",
			       MS(med(&tev)),
			       (unsigned long long)st[0].entries_downgraded,
			       (unsigned long long)st[0].entries_invalidated,
			       (unsigned long long)st[1].entries_downgraded,
			       (unsigned long long)st[1].entries_invalidated);
			for (m = 0; m < 2; m++)
				ov[m] = med(&t[m]) - med(&base[m]);
			printf("#         no-event baseline: aware %.3f ms, blind %.3f ms;"
			       " time added by the event: aware %.3f ms, blind %.3f ms\n",
			       MS(med(&base[0])), MS(med(&base[1])), MS(ov[0]), MS(ov[1]));
			snprintf(nm, sizeof(nm), "P4.%s_%s_aware_added_ms_per_event",
				 w ? "gather" : "stream", ev_name[e]);
			metric(nm, MS(ov[0]), "ms", "none", -1,
			       "device_time_minus_the_same_workload_without_event");
			snprintf(nm, sizeof(nm), "P4.%s_%s_blind_added_ms_per_event",
				 w ? "gather" : "stream", ev_name[e]);
			metric(nm, MS(ov[1]), "ms", "none", -1,
			       "device_time_minus_the_same_workload_without_event");
			snprintf(nm, sizeof(nm), "P4.%s_%s_aware_read_refaults",
				 w ? "gather" : "stream", ev_name[e]);
			metric(nm, st[0].read_faults, "faults", "0",
			       st[0].read_faults == 0,
			       e == EV_MPROTECT && !(caps & TEST_MIRROR_CAP_VMA_DOWNGRADE) ?
			       "this_kernel_cannot_tell_the_new_VMA_access(no_VMA_DOWNGRADE)" :
			       NULL);
			snprintf(nm, sizeof(nm), "P4.%s_%s_blind_refaulted_pages_per_event",
				 w ? "gather" : "stream", ev_name[e]);
			metric(nm, (double)st[1].faulted_pages / iters, "pages", "none",
			       -1, NULL);
			snprintf(nm, sizeof(nm), "P4.%s_%s_blind_over_aware_time",
				 w ? "gather" : "stream", ev_name[e]);
			metric(nm, ratio, "x", ">=5", ratio >= 5,
			       "median_device_time_per_event_(emulated)");
			snprintf(nm, sizeof(nm), "p4.%s.%s.aware.ms",
				 w ? "gather" : "stream", ev_name[e]);
			series(nm, e, "event", MS(med(&t[0])), "ms");
			snprintf(nm, sizeof(nm), "p4.%s.%s.blind.ms",
				 w ? "gather" : "stream", ev_name[e]);
			series(nm, e, "event", MS(med(&t[1])), "ms");
			fflush(stdout);
		}
	}
	for (m = 0; m < 2; m++) {
		dev_unbind(fd[m], h[m]);
		close(fd[m]);
	}
	munmap(p, size);
}
