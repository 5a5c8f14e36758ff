// SPDX-License-Identifier: GPL-2.0
/*
 * tm_fuzz: an ioctl fuzzer with an oracle, for every test_mirror front-end.
 *
 * Usage: tm_fuzz [--seed N] [--calls N] [harness options] [test patterns]
 *   --seed N    base seed (default 1); each test derives its own from it, so a
 *               failure is reproduced by the same seed, call count and test
 *   --calls N   ioctl calls (default 100000), shared by the DRM tests in
 *               proportion to their weights (which sum to 100, each share
 *               rounded up); the test_hmm-compatible tests make 17% more.
 *               Every test makes at least its share, so a full passing run
 *               makes at least N calls. The "tm_fuzz total" line counts the
 *               calls of the tests that completed (a failing test stops at
 *               its failure and is not counted there).
 *
 * The world of one test (a forked child, see tm_lib.h) is fully modelled:
 *
 *   window:  16 guard pages (PROT_NONE) | 160 arena pages | 16 guard pages
 *   arena:   A [0,64)    anonymous RW, filled with a pattern
 *            B [64,80)   anonymous PROT_READ (zero pages)
 *            C [80,88)   anonymous PROT_NONE
 *            D [88,96)   a hole (unmapped)
 *            E [96,128)  anonymous RW, untouched
 *            F [128,160) memfd MAP_SHARED RW, filled with a pattern
 *   zone:    1024 PROT_NONE pages for "wild" bindings
 *   low:     [0, 64 KiB), never mapped (mmap_min_addr)
 *   buffers: RW, read-only, half RW / half RO, each followed by a guard page
 *
 * plus a shadow copy of what the arena must contain, two device files (two
 * mirrors of this process) with a model of their bindings (handle, range,
 * access, pages whose tracking munmap dropped), and the module's parameters.
 * Every call's arguments are drawn from edge classes (unaligned, zero, huge,
 * wrapping and kernel addresses and sizes, unknown flags, non-zero reserved
 * fields, NULL / kernel / unmapped / read-only pointers, handles never issued,
 * freed, or of the other file), then issued normally, or through a raw ioctl
 * number with another size or direction (DRM zero-extends and truncates), or
 * with a bad argument pointer. The model predicts the exact errno (a set of
 * them only where the contract leaves a choice) and the side effects:
 *
 *   - an unexpected errno, or an unexpected success, is a failure;
 *   - READ data must equal the shadow; WRITE must land exactly on the pages
 *     it reports, nowhere else (the whole arena is compared with the shadow
 *     after every CPU-side change and every 64 calls);
 *   - bytes of a destination buffer past what the device copied, and every
 *     guard and canary, must be untouched;
 *   - SNAPSHOT may never show an entry for memory the CPU cannot access, or
 *     a write entry where the CPU maps read-only; EVENTS records and STATS
 *     counters must be well formed and agree with the model.
 *
 * The classes that seed bindings (drm_access, drm_snapshot, drm_stats_events,
 * drm_migrate, drm_raw_size, drm_mixed) also keep the arena bound
 * (they bind the gaps again when the model says random unbinds wore the
 * bindings down), and they and drm_bind draw a share of READ / WRITE calls
 * from the model, so that many of them reach the device copy and succeed
 * (see keep_bound_pct, guided_pct). Each test prints how many of its calls,
 * and of its device READ / WRITE calls, succeeded.
 *
 * The harness checks the guest kernel log for splats after the run.
 *
 * Tests (KTAP, one per class): drm_bind, drm_unbind, drm_access, drm_snapshot,
 * drm_stats_events, drm_migrate, drm_raw_size, drm_raw_nr, drm_argptr,
 * drm_mixed (all of them interleaved with munmap / mmap / mprotect / madvise
 * / CPU writes), drm_foreign (a forked child: -EACCES, nothing touched),
 * drm_race_unbind (threads: unbind/rebind racing device accesses), and the
 * same for the test_hmm-compatible front-end when the module has it
 * (hmm_cmds, hmm_raw, hmm_foreign).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tm_fuzz.h"

#include <misc/test_mirror_hmm.h>

/* ------------------------------------------------------------------------ */
/* Options, random numbers, counters                                         */
/* ------------------------------------------------------------------------ */

static uint64_t opt_seed = 1;
bool opt_trace;
static uint64_t opt_calls = 100000;

uint64_t rs;

uint64_t rnd(void)
{
	uint64_t z = (rs += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t rn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

bool chance(unsigned int pct)
{
	return rn(100) < pct;
}

void seed_for(const char *name)
{
	uint64_t h = opt_seed * 0x100000001b3ull;

	while (*name)
		h = (h ^ (uint8_t)*name++) * 0x100000001b3ull;
	rs = h;
}

/* Totals over the tests (each runs in its own child): shared memory. */
static struct total {
	uint64_t calls, checks, cpu_ops, tests;
} *total;

uint64_t cnt_err[NERR + 1];
uint64_t cnt_calls, cnt_skipped, cnt_cpu_ops, cnt_checks;
uint64_t cnt_acc, cnt_acc_ok, cnt_acc_pages;

void count_ret(int ret)
{
	int e = -ret;

	cnt_calls++;
	cnt_err[e >= 0 && e < NERR ? e : NERR]++;
}

void print_counts(const char *name)
{
	char buf[1024];
	size_t n = 0;
	int e;

	buf[0] = '\0';
	if (total) {
		total->calls += cnt_calls;
		total->checks += cnt_checks;
		total->cpu_ops += cnt_cpu_ops;
		total->tests += !strchr(name, '(');
	}

	for (e = 0; e <= NERR; e++) {
		if (!cnt_err[e])
			continue;
		n += snprintf(buf + n, sizeof(buf) - n, " %s=%" PRIu64,
			      e == NERR ? "other" : tm_errname(-e), cnt_err[e]);
		if (n >= sizeof(buf) - 32)
			break;
	}
	tm_diag("%s: %" PRIu64 " calls (%" PRIu64 " checks, %" PRIu64
		" CPU-side ops, %" PRIu64 " unpredictable draws skipped):%s",
		name, cnt_calls, cnt_checks, cnt_cpu_ops, cnt_skipped, buf);
	tm_diag("%s: %" PRIu64 " calls, %" PRIu64 " succeeded (%" PRIu64 "%%)",
		name, cnt_calls, cnt_err[0],
		cnt_calls ? cnt_err[0] * 100 / cnt_calls : 0);
	if (cnt_acc)
		tm_diag("%s: %" PRIu64 " device READ/WRITE calls, %" PRIu64
			" succeeded (%" PRIu64 "%%), %" PRIu64
			" pages copied and checked",
			name, cnt_acc, cnt_acc_ok, cnt_acc_ok * 100 / cnt_acc,
			cnt_acc_pages);
}

uint64_t share(unsigned int weight)
{
	/* weights sum to 100 over the DRM tests (hmm tests: extra) */
	uint64_t n = (opt_calls * weight + 99) / 100;

	return n ? n : 1;
}

/* ------------------------------------------------------------------------ */
/* Another address space: a forked child gets -EACCES and touches nothing    */
/* ------------------------------------------------------------------------ */

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
		for (i = 0; i < 8; i++)
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

/* ------------------------------------------------------------------------ */
/* Unbind racing accesses (threads)                                          */
/* ------------------------------------------------------------------------ */

#define RACE_PAGES	32

static struct {
	int fd;
	uint8_t *mem;
	_Atomic uint32_t handle;
	_Atomic uint64_t calls;
	uint64_t limit;
	_Atomic int fail;
	char msg[256];
	pthread_mutex_t lock;
	_Atomic uint64_t per_err[NERR + 1];
} race;

static void race_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void race_fail(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&race.lock);
	if (!race.fail) {
		va_start(ap, fmt);
		vsnprintf(race.msg, sizeof(race.msg), fmt, ap);
		va_end(ap);
		race.fail = 1;
	}
	pthread_mutex_unlock(&race.lock);
}

static bool race_go(void)
{
	return !race.fail && atomic_fetch_add(&race.calls, 1) < race.limit;
}

static void race_count(int ret)
{
	int e = -ret;

	atomic_fetch_add(&race.per_err[e >= 0 && e < NERR ? e : NERR], 1);
}

static void *race_binder(void *arg)
{
	uint64_t r = (uintptr_t)arg;

	while (race_go()) {
		uint32_t h = atomic_load(&race.handle), nh = 0;
		uint32_t flags = TEST_MIRROR_BIND_READ | TEST_MIRROR_BIND_WRITE;
		int ret;

		r = r * 6364136223846793005ull + 1;
		if (h) {
			ret = tm_unbind(race.fd, h);
			race_count(ret);
			if (ret && ret != -ENOENT)
				race_fail("UNBIND %u: %s", h, tm_errname(ret));
		}
		if ((r >> 33) & 1)
			flags |= TEST_MIRROR_BIND_PREFAULT;
		ret = tm_bind(race.fd, race.mem, RACE_PAGES * PAGE_SZ, flags, &nh);
		race_count(ret);
		/* the stealer may have unbound it first; then EEXIST can't be */
		if (ret)
			race_fail("BIND: %s", tm_errname(ret));
		atomic_store(&race.handle, nh);
		if (!nh)
			race_fail("BIND gave handle 0");
	}
	return NULL;
}

static void *race_stealer(void *arg)
{
	uint64_t r = (uintptr_t)arg;

	while (race_go()) {
		int ret;

		r = r * 6364136223846793005ull + 1;
		ret = tm_unbind(race.fd, 1 + (uint32_t)((r >> 33) % 3));
		race_count(ret);
		if (ret && ret != -ENOENT)
			race_fail("UNBIND (stealer): %s", tm_errname(ret));
		usleep(200);
	}
	return NULL;
}

static void *race_accessor(void *arg)
{
	uint64_t r = (uintptr_t)arg;
	uint8_t *buf = malloc(RACE_PAGES * PAGE_SZ);
	size_t i;

	while (race_go()) {
		size_t first, n;
		struct tm_result res;
		bool write;
		int ret;

		r = r * 6364136223846793005ull + 1;
		first = (r >> 33) % RACE_PAGES;
		n = 1 + (r >> 40) % (RACE_PAGES - first);
		write = (r >> 50) & 1;
		if (write) {
			for (i = 0; i < n; i++)
				tm_fill(buf + i * PAGE_SZ, PAGE_SZ, (uint32_t)(first + i));
			ret = tm_write(race.fd, race.mem + first * PAGE_SZ, n * PAGE_SZ,
				       buf, &res);
		} else {
			memset(buf, 0, n * PAGE_SZ);
			ret = tm_read(race.fd, race.mem + first * PAGE_SZ, n * PAGE_SZ,
				      buf, &res);
		}
		race_count(ret);
		if (ret && ret != -ENOENT)
			race_fail("%s: %s", write ? "WRITE" : "READ",
				  tm_errname(ret));
		if (!ret && res.pages != n)
			race_fail("access OK with %llu of %zu pages",
				  (unsigned long long)res.pages, n);
		if (res.pages > n)
			race_fail("access: pages %llu > %zu",
				  (unsigned long long)res.pages, n);
		if (!write)
			for (i = 0; i < res.pages; i++)
				if (tm_check(buf + i * PAGE_SZ, PAGE_SZ, (uint32_t)(first + i)) >= 0)
					race_fail("READ returned wrong data for page %zu",
						  first + i);
	}
	free(buf);
	return NULL;
}

static void *race_observer(void *arg)
{
	uint8_t snap[RACE_PAGES];
	struct drm_test_mirror_stats st;
	size_t i;

	(void)arg;
	while (race_go()) {
		int ret = tm_snapshot(race.fd, race.mem, RACE_PAGES * PAGE_SZ, snap);

		race_count(ret);
		if (ret)
			race_fail("SNAPSHOT: %s", tm_errname(ret));
		for (i = 0; i < RACE_PAGES; i++)
			if (snap[i] != TEST_MIRROR_SNAP_UNBOUND &&
			    snap[i] > TEST_MIRROR_SNAP_WRITE)
				race_fail("SNAPSHOT: page %zu is 0x%02x", i, snap[i]);
		ret = tm_stats(race.fd, &st, false);
		race_count(ret);
		if (ret || st.bindings > 1)
			race_fail("STATS: %s, %llu bindings", tm_errname(ret),
				  (unsigned long long)st.bindings);
		ret = tm_evlog_drain(race.fd);
		race_count(ret);
		if (ret)
			race_fail("EVENTS: %s", tm_errname(ret));
	}
	return NULL;
}

TEST_OPTS(drm_race_unbind, 0, 0)
{
	pthread_t t[6];
	size_t i;
	int e;

	seed_for("drm_race_unbind");
	memset(&race, 0, sizeof(race));
	pthread_mutex_init(&race.lock, NULL);
	race.fd = fd;
	race.limit = share(3);
	race.mem = tm_must_map(RACE_PAGES, PROT_READ | PROT_WRITE);
	for (i = 0; i < RACE_PAGES; i++)
		tm_fill(race.mem + i * PAGE_SZ, PAGE_SZ, (uint32_t)i);
	race.handle = tm_must_bind(fd, race.mem, RACE_PAGES * PAGE_SZ,
				   TEST_MIRROR_BIND_READ | TEST_MIRROR_BIND_WRITE);
	pthread_create(&t[0], NULL, race_binder, (void *)(uintptr_t)rnd());
	pthread_create(&t[1], NULL, race_stealer, (void *)(uintptr_t)rnd());
	pthread_create(&t[2], NULL, race_accessor, (void *)(uintptr_t)rnd());
	pthread_create(&t[3], NULL, race_accessor, (void *)(uintptr_t)rnd());
	pthread_create(&t[4], NULL, race_accessor, (void *)(uintptr_t)rnd());
	pthread_create(&t[5], NULL, race_observer, NULL);
	for (i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	if (race.fail)
		FAIL("%s", race.msg);
	/* The memory holds exactly what it held. */
	for (i = 0; i < RACE_PAGES; i++)
		ASSERT_PATTERN(race.mem + i * PAGE_SZ, PAGE_SZ, (uint32_t)i);
	cnt_calls = 0;
	for (e = 0; e <= NERR; e++) {
		cnt_err[e] = race.per_err[e];
		cnt_calls += race.per_err[e];
	}
	cnt_checks = cnt_calls;
	print_counts("drm_race_unbind");
}

/* ------------------------------------------------------------------------ */
/* The test_hmm-compatible front-end                                         */
/* ------------------------------------------------------------------------ */

static int hmm_fd[2] = { -1, -1 };
static bool hmm_param_set;

/* Open /dev/hmm_dmirror0/1, enabling the front-end if the module can. */
static bool hmm_open(void)
{
	int i, r = tm_hmm_enable();

	if (r < 0)
		return false;
	hmm_param_set = r == 1;
	for (i = 0; i < 2; i++) {
		hmm_fd[i] = tm_hmm_open(i);
		if (hmm_fd[i] < 0)
			FAIL("open /dev/hmm_dmirror%d: %s", i,
			     tm_errname(hmm_fd[i]));
	}
	return true;
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
};

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

static void hmm_op(bool raw, bool foreign)
{
	struct tm_hmm_cmd c = { 0 }, eff;
	unsigned long cmd = hmm_cmd_list[chance(85) ? rn(3) : rn(8)];
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
		cmd = _IOC(_IOC_READ | _IOC_WRITE, 'H', 8 + rn(248), 40);
	}
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

	if (cmd == TM_HMM_IOC_MIGRATE_TO_DEV || cmd == TM_HMM_IOC_MIGRATE_TO_SYS ||
	    cmd == TM_HMM_IOC_EXCLUSIVE || cmd == TM_HMM_IOC_CHECK_EXCLUSIVE ||
	    cmd == TM_HMM_IOC_RELEASE) {
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

	ret = tm_ioctl(hmm_fd[fdi], cmd, arg);
	count_ret(ret);
	/* Success, then the copy back into a read-only argument fails. */
	if (argro_used && allowed(&p, 0) && ret == -EFAULT)
		ret = 0;
	if (!allowed(&p, ret)) {
		FAIL("hmm ioctl 0x%lx arg %p (bad %d, ro %d) addr 0x%llx npages 0x%llx ptr 0x%llx%s: %s, expected %s%s%s (pages %llu, buffer fault %d)",
		     cmd, (void *)arg, argbad, argro_used,
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

/* ------------------------------------------------------------------------ */

/* Before the tests: the timeout scales with the calls; the shared totals. */
static int fuzz_setup(struct tm_run *run)
{
	/* about 2 ms a call under TCG, generously */
	if (!run->timeout_given)
		run->timeout = (unsigned int)(60 + opt_calls / 200);
	opt_trace = getenv("TM_FUZZ_TRACE") != NULL;
	printf("# tm_fuzz: seed %llu, %llu calls\n",
	       (unsigned long long)opt_seed, (unsigned long long)opt_calls);
	total = mmap(NULL, sizeof(*total), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (total == MAP_FAILED)
		total = NULL;
	return -1;
}

static int fuzz_teardown(int status)
{
	if (total)
		printf("# tm_fuzz total: %llu ioctl calls (%llu asked), %llu checks, %llu CPU-side ops in %llu tests (seed %llu)\n",
		       (unsigned long long)total->calls,
		       (unsigned long long)opt_calls,
		       (unsigned long long)total->checks,
		       (unsigned long long)total->cpu_ops,
		       (unsigned long long)total->tests,
		       (unsigned long long)opt_seed);
	return status;
}

static const struct tm_option fuzz_options[] = {
	{ "seed", TM_OPT_U64, &opt_seed, "N", "base seed (default 1)" },
	{ "calls", TM_OPT_U64, &opt_calls, "N",
	  "ioctl calls over the tests (default 100000)" },
	{ "iterations", TM_OPT_U64, &opt_calls, "N", "the same as --calls" },
	{ NULL },
};

TM_PROGRAM(.options = fuzz_options, .setup = fuzz_setup,
	   .teardown = fuzz_teardown);
TM_MAIN()
