// SPDX-License-Identifier: GPL-2.0
/*
 * tm_events: the mirrored address space goes away: process exit, exec, and
 * an OOM kill with the OOM reaper. No task of that address space can call an
 * ioctl any more (from another address space a call fails with -EACCES, and
 * with -ESRCH once it is gone), so these tests observe the driver's callbacks
 * through its tm_invalidate tracepoint (trace.c checks it against the EVENTS
 * log): RELEASE of the whole address space, then UNMAP of every VMA; the OOM
 * reaper's non-blockable event takes every entry of a private binding and
 * leaves shared mappings alone.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tm_events.h"

/*
 * Process exit: RELEASE (the whole address space), then UNMAP of every VMA.
 * The child hands its file to the parent first; the parent cannot use it
 * (another mm: -EACCES; once the child's mm is gone: -ESRCH) and closes it
 * last.
 */
TEST(process_exit_release_then_unmap)
{
	const size_t n = 8;
	struct tm_trace_rec *r = calloc(PROBE_MAX, sizeof(*r));
	struct drm_test_mirror_stats st;
	int sv[2], pf, np, i_unm;
	uint64_t addr;
	pid_t pid;

	SETUP(fd);
	ASSERT_TRUE(r != NULL);
	tm_trace_start();
	ASSERT_SYS(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = tm_fork();
	if (pid == 0) {
		int cfd = tm_must_open();
		uint8_t *p = tm_must_map_pattern(n, 1);

		tm_must_bind(cfd, p, SZ(n), RWP);
		ASSERT_EQ(STATS(cfd).entries_present, n);
		addr = ADDR(p);
		tm_send_fd(sv[1], cfd, &addr, sizeof(addr));
		tm_wait_byte(sv[1]);
		_exit(0);
	}
	pf = tm_recv_fd(sv[0], &addr, sizeof(addr));
	/* While the owner lives: another address space, no access. */
	ASSERT_ERRNO(tm_stats(pf, &st, false), -EACCES);
	tm_send_byte(sv[0]);
	tm_must_wait_ok(pid);
	np = tm_trace_read(r, PROBE_MAX);
	tm_trace_print(r, np);
	i_unm = EXPECT_RELEASE_THEN_UNMAP(r, np, n, addr, addr + SZ(n));
	ASSERT_EQ(r[i_unm].ent, 0);
	ASSERT_EQ(tm_trace_find(r, np, 0, EV_UNMAP, 1, addr, addr + SZ(n)), i_unm);

	/* The file outlives the mm: -ESRCH for everyone, clean close. */
	ASSERT_ERRNO(tm_stats(pf, &st, false), -ESRCH);
	ASSERT_SYS(close(pf));
}

/* exec: the old mm goes exactly like at exit; the new image has no access. */
TEST(exec_release_then_unmap)
{
	const size_t n = 8;
	struct tm_trace_rec *r = calloc(PROBE_MAX, sizeof(*r));
	int pp[2], np;
	uint64_t addr;
	pid_t pid;

	SETUP(fd);
	ASSERT_TRUE(r != NULL);
	tm_trace_start();
	ASSERT_SYS(pipe(pp));
	pid = tm_fork();
	if (pid == 0) {
		int cfd = tm_must_open();
		uint8_t *p = tm_must_map_pattern(n, 1);
		char arg[16];

		tm_must_bind(cfd, p, SZ(n), RWP);
		addr = ADDR(p);
		ASSERT_EQ(write(pp[1], &addr, sizeof(addr)), sizeof(addr));
		/* Keep the file across exec. */
		ASSERT_SYS(fcntl(cfd, F_SETFD, 0));
		snprintf(arg, sizeof(arg), "%d", cfd);
		execl("/proc/self/exe", "tm_events", "--exec-helper", arg,
		      (char *)NULL);
		FAIL("exec: %s", tm_errname(errno));
	}
	ASSERT_EQ(read(pp[0], &addr, sizeof(addr)), sizeof(addr));
	tm_must_wait_ok(pid);
	np = tm_trace_read(r, PROBE_MAX);
	tm_trace_print(r, np);
	EXPECT_RELEASE_THEN_UNMAP(r, np, n, addr, addr + SZ(n));
}

/*
 * Runs after exec in exec_release_then_unmap: the old address space was
 * released before the new image started, so the inherited file answers
 * -ESRCH.
 */
int exec_helper(const char *arg)
{
	struct drm_test_mirror_stats st;
	int f = atoi(arg), ret;

	ret = tm_stats(f, &st, false);
	if (ret != -ESRCH) {
		printf("# exec helper: STATS on the inherited file: %s, "
		       "expected ESRCH\n", tm_errname(ret));
		return 1;
	}
	close(f);
	return 0;
}

/* ---- OOM kill in a memory-limited cgroup ---- */

struct mem_reader {
	int memfd;
	void *dst;
	uint64_t addr;
	ssize_t ret;
	int err;
};

static void *mem_reader_fn(void *arg)
{
	struct mem_reader *m = arg;

	m->ret = pread(m->memfd, m->dst, PAGE_SZ, (off_t)m->addr);
	m->err = errno;
	return NULL;
}

/*
 * The OOM killer kills a mirroring process in a memory-limited cgroup.
 * Its mm is kept alive past its death (this process reads its memory
 * through /proc/PID/mem into a userfaultfd-registered page that nobody
 * serves yet), so it is the OOM reaper that zaps it, with a non-blockable
 * event over the private binding A: up to 7.0 UNMAP, which drops A's
 * tracking; from 7.1 CLEAR (the reaper zaps, it does not unmap), which
 * invalidates A's entries and keeps the tracking until the exit's UNMAP.
 * Either way all of A's entries go in that non-blockable callback. The
 * reaper leaves shared mappings alone: binding B (MAP_SHARED anonymous)
 * keeps its entries until the read is released and the mm exits: RELEASE,
 * UNMAP.
 */
TEST_OPTS(oom_kill_reaper_nonblocking_unmap, 0, 120)
{
	const size_t na = 64, nb = 16;
	struct tm_trace_rec *r = calloc(PROBE_MAX, sizeof(*r));
	char cg[128], path[192];
	struct uffdio_register reg;
	struct uffdio_zeropage zp;
	struct drm_test_mirror_stats st;
	struct mem_reader mr = { 0 };
	struct pollfd pfd;
	struct uffd_msg msg;
	pthread_t thr;
	int sv[2], pf, np, u, i_nb, i_rel, i_unm, status, k;
	/* the reaper's event and the policy's action for it (see above) */
	unsigned int reap_ev = tm_must_kernel_version() >= 701 ? EV_CLEAR : EV_UNMAP;
	unsigned int reap_act = reap_ev == EV_CLEAR ? ACT_INVAL : ACT_DROP;
	uint64_t a, b, deadline;
	uint32_t hh[2];
	uint8_t *dst;
	pid_t pid;

	SETUP(fd);
	ASSERT_TRUE(r != NULL);
	if (!tm_cg_usable())
		SKIP("cgroup v2 memory controller not enabled at " TM_CG_ROOT);
	tm_trace_start();

	tm_cg_path(cg, sizeof(cg), "oom");
	tm_cg_make(cg, "33554432");

	u = tm_must_uffd_open(O_NONBLOCK);
	dst = tm_must_map(1, PROT_READ | PROT_WRITE);
	reg.range.start = ADDR(dst);
	reg.range.len = SZ(1);
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	ASSERT_SYS(ioctl(u, UFFDIO_REGISTER, &reg));

	ASSERT_SYS(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = tm_fork();
	if (pid == 0) {
		uint8_t *pa, *pb, *big;
		size_t i, bigsz = 512ul << 20;
		int cfd;

		tm_cg_enter(cg);
		cfd = tm_must_open();
		pa = tm_must_map_pattern(na, 1);
		pb = mmap(NULL, SZ(nb), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		ASSERT_TRUE(pb != MAP_FAILED);
		tm_fill(pb, SZ(nb), 2);
		hh[0] = tm_must_bind(cfd, pa, SZ(na), RWP);
		hh[1] = tm_must_bind(cfd, pb, SZ(nb), RWP);
		ASSERT_EQ(STATS(cfd).entries_present, na + nb);
		a = ADDR(pa);
		tm_send_fd(sv[1], cfd, &a, sizeof(a));
		a = ADDR(pb);
		ASSERT_EQ(write(sv[1], &a, sizeof(a)), sizeof(a));
		ASSERT_EQ(write(sv[1], hh, sizeof(hh)), sizeof(hh));
		tm_wait_byte(sv[1]);
		big = mmap(NULL, bigsz, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (big == MAP_FAILED)
			_exit(3);
		for (i = 0; i < bigsz; i += PAGE_SZ)
			big[i] = 1;
		_exit(4);	/* not killed */
	}
	pf = tm_recv_fd(sv[0], &a, sizeof(a));
	ASSERT_EQ(read(sv[0], &b, sizeof(b)), sizeof(b));
	ASSERT_EQ(read(sv[0], hh, sizeof(hh)), sizeof(hh));

	/* Hold the child's mm: a /proc/PID/mem read stuck on our page. */
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	mr.memfd = open(path, O_RDONLY | O_CLOEXEC);
	if (mr.memfd < 0)
		FAIL("open %s: %s", path, tm_errname(errno));
	mr.dst = dst;
	mr.addr = a;
	ASSERT_EQ(pthread_create(&thr, NULL, mem_reader_fn, &mr), 0);
	pfd.fd = u;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 20000) != 1)
		FAIL("the /proc/PID/mem reader did not fault on the "
		     "userfaultfd page");
	ASSERT_EQ(read(u, &msg, sizeof(msg)), sizeof(msg));
	ASSERT_EQ(msg.event, UFFD_EVENT_PAGEFAULT);

	/* OOM. */
	tm_send_byte(sv[0]);
	deadline = tm_now_ms() + 60000;
	while (waitpid(pid, &status, WNOHANG) != pid) {
		if (tm_now_ms() > deadline)
			FAIL("the child was not OOM-killed within 60 s");
		tm_sleep_ms(20);
	}
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		FAIL("child: status 0x%x, expected SIGKILL by the OOM killer",
		     status);

	/* The reaper runs about 2 s after the kill (OOM_REAPER_DELAY). */
	deadline = tm_now_ms() + 20000;
	do {
		tm_sleep_ms(100);
		np = tm_trace_read(r, PROBE_MAX);
		i_nb = -1;
		for (k = 0; k < np && i_nb < 0; k++)
			if (r[k].ev == reap_ev && !(r[k].fl & 1) &&
			    r[k].act != ACT_BUSY && r[k].handle == hh[0] &&
			    r[k].start <= a && r[k].end >= a + SZ(na))
				i_nb = k;
	} while (i_nb < 0 && tm_now_ms() < deadline);
	/* Give the reaper time to have visited every VMA. */
	tm_sleep_ms(500);
	/* Reaped, not released yet: the address space still exists. */
	ASSERT_ERRNO(tm_stats(pf, &st, false), -EACCES);

	/* Let the read finish: the mm's last user goes, the mm exits. */
	zp.range.start = ADDR(dst);
	zp.range.len = SZ(1);
	zp.mode = 0;
	ASSERT_SYS(ioctl(u, UFFDIO_ZEROPAGE, &zp));
	ASSERT_EQ(pthread_join(thr, NULL), 0);
	close(mr.memfd);
	deadline = tm_now_ms() + 10000;
	do {
		tm_sleep_ms(50);
		np = tm_trace_read(r, PROBE_MAX);
		i_rel = tm_trace_find(r, np, 0, EV_RELEASE, 1, 0, UINT64_MAX);
	} while (i_rel < 0 && tm_now_ms() < deadline);
	tm_sleep_ms(200);
	np = tm_trace_read(r, PROBE_MAX);
	tm_trace_print(r, np);
	tm_diag("/proc/PID/mem read: %zd (%s)", mr.ret,
		mr.ret < 0 ? tm_errname(mr.err) : "ok");

	/* The OOM reaper: non-blockable UNMAP (CLEAR) of A, all its entries. */
	if (i_nb < 0)
		FAIL("no non-blockable %s (OOM reaper) over binding A",
		     reap_ev == EV_CLEAR ? "CLEAR" : "UNMAP");
	ASSERT_EQ(r[i_nb].act, reap_act);
	ASSERT_EQ(r[i_nb].ent, na);
	tm_diag("OOM reaper: %s-%d", r[i_nb].comm, r[i_nb].pid);
	for (k = 0; k < np; k++) {
		/* It skipped the shared mapping. */
		if (!(r[k].fl & 1) && r[k].handle == hh[1])
			FAIL("non-blockable record %d for the shared binding", k);
		/* Nothing was left in A for later callbacks. */
		if (k > i_nb && r[k].handle == hh[0] && r[k].ent)
			FAIL("record %d removed %" PRIu64 " entries of A after "
			     "the reaper", k, r[k].ent);
	}
	/* The mm exits once the read lets go: B goes with RELEASE, UNMAP. */
	i_rel = -1;
	for (k = i_nb + 1; k < np && i_rel < 0; k++)
		if (r[k].ev == EV_RELEASE && r[k].handle == hh[1])
			i_rel = k;
	if (i_rel < 0)
		FAIL("no RELEASE for B after the reaper");
	ASSERT_EQ(r[i_rel].act, ACT_RELEASE);
	ASSERT_EQ(r[i_rel].ent, nb);
	ASSERT_TRUE(r[i_rel].fl & 1);
	i_unm = tm_trace_find(r, np, i_rel + 1, EV_UNMAP, 1, b, b + SZ(nb));
	if (i_unm < 0 || r[i_unm].handle != hh[1])
		FAIL("no UNMAP at exit_mmap after RELEASE over B");
	ASSERT_EQ(r[i_unm].ent, 0);

	/* From 7.1 A kept its tracking past the reaper's CLEAR: the exit's
	 * UNMAP drops it, with no entry left to remove. */
	if (reap_ev == EV_CLEAR) {
		for (k = i_nb + 1, i_unm = -1; k < np && i_unm < 0; k++)
			if (r[k].ev == EV_UNMAP && (r[k].fl & 1) &&
			    r[k].handle == hh[0] && r[k].start <= a &&
			    r[k].end >= a + SZ(na))
				i_unm = k;
		if (i_unm < 0)
			FAIL("no UNMAP at exit_mmap over A after the reaper's CLEAR");
		ASSERT_EQ(r[i_unm].act, ACT_DROP);
		ASSERT_EQ(r[i_unm].ent, 0);
	}

	/* B's RELEASE marked the file's address space gone. */
	ASSERT_ERRNO(tm_stats(pf, &st, false), -ESRCH);
	ASSERT_SYS(close(pf));
	close(u);
	tm_cg_remove(cg);
}
