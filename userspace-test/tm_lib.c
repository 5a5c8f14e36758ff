// SPDX-License-Identifier: GPL-2.0
/*
 * tm_lib: userspace helpers and a KTAP harness for test_mirror test programs.
 * See tm_lib.h for the interface.
 */
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include "tm_lib.h"

#define TM_PARAM_DIR	"/sys/module/test_mirror/parameters/"

/* ------------------------------------------------------------------------ */
/* Device access                                                             */
/* ------------------------------------------------------------------------ */

static int tm_cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a;
	unsigned int y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

int tm_open_dev(char *path, size_t len)
{
	unsigned int minors[256];
	unsigned int n = 0, i;
	struct dirent *de;
	DIR *dir;

	dir = opendir("/dev/dri");
	if (!dir)
		return -errno;
	while ((de = readdir(dir)) && n < 256) {
		unsigned int minor;
		char end;

		if (sscanf(de->d_name, "renderD%u%c", &minor, &end) == 1)
			minors[n++] = minor;
	}
	closedir(dir);
	qsort(minors, n, sizeof(minors[0]), tm_cmp_uint);

	for (i = 0; i < n; i++) {
		char name[64];
		drmVersionPtr ver;
		bool match;
		int fd;

		snprintf(name, sizeof(name), "/dev/dri/renderD%u", minors[i]);
		fd = open(name, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		ver = drmGetVersion(fd);
		match = ver && ver->name &&
			!strcmp(ver->name, TEST_MIRROR_DRIVER_NAME);
		drmFreeVersion(ver);
		if (match) {
			if (path && len)
				snprintf(path, len, "%s", name);
			return fd;
		}
		close(fd);
	}
	return -ENODEV;
}

int tm_ioctl(int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg) ? -errno : 0;
}

int tm_bind(int fd, const void *addr, size_t size, uint32_t flags,
	    uint32_t *handle)
{
	struct drm_test_mirror_bind arg = {
		.addr = (uintptr_t)addr,
		.size = size,
		.flags = flags,
	};
	int ret;

	ret = tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_BIND, &arg);
	if (!ret && handle)
		*handle = arg.handle;
	return ret;
}

int tm_unbind(int fd, uint32_t handle)
{
	struct drm_test_mirror_unbind arg = { .handle = handle };

	return tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_UNBIND, &arg);
}

static int tm_access(int fd, unsigned long request, const void *addr,
		     size_t size, const void *buf, struct tm_result *res)
{
	struct drm_test_mirror_access arg = {
		.addr = (uintptr_t)addr,
		.size = size,
		.ptr = (uintptr_t)buf,
	};
	int ret;

	ret = tm_ioctl(fd, request, &arg);
	if (res) {
		res->pages = arg.pages;
		res->faults = arg.faults;
		res->faulted_pages = arg.faulted_pages;
	}
	return ret;
}

int tm_read(int fd, const void *addr, size_t size, void *buf,
	    struct tm_result *res)
{
	return tm_access(fd, DRM_IOCTL_TEST_MIRROR_READ, addr, size, buf, res);
}

int tm_write(int fd, const void *addr, size_t size, const void *buf,
	     struct tm_result *res)
{
	return tm_access(fd, DRM_IOCTL_TEST_MIRROR_WRITE, addr, size, buf, res);
}

int tm_snapshot(int fd, const void *addr, size_t size, uint8_t *out)
{
	struct drm_test_mirror_snapshot arg = {
		.addr = (uintptr_t)addr,
		.size = size,
		.ptr = (uintptr_t)out,
	};

	return tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_SNAPSHOT, &arg);
}

int tm_stats(int fd, struct drm_test_mirror_stats *st, bool reset)
{
	memset(st, 0, sizeof(*st));
	st->flags = reset ? TEST_MIRROR_STATS_RESET : 0;
	return tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_STATS, st);
}

int tm_events(int fd, struct drm_test_mirror_event *recs, unsigned int max,
	      bool consume, unsigned int *n, uint64_t *lost)
{
	struct drm_test_mirror_events arg = {
		.ptr = (uintptr_t)recs,
		.count = max,
		.flags = consume ? TEST_MIRROR_EVENTS_CONSUME : 0,
	};
	int ret;

	ret = tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_EVENTS, &arg);
	if (ret)
		return ret;
	if (n)
		*n = arg.count;
	if (lost)
		*lost = arg.lost;
	return 0;
}

const char *tm_event_name(unsigned int event)
{
	static const char * const names[] = {
		[TEST_MIRROR_EVENT_UNMAP]		= "UNMAP",
		[TEST_MIRROR_EVENT_CLEAR]		= "CLEAR",
		[TEST_MIRROR_EVENT_PROTECTION_VMA]	= "PROTECTION_VMA",
		[TEST_MIRROR_EVENT_PROTECTION_PAGE]	= "PROTECTION_PAGE",
		[TEST_MIRROR_EVENT_SOFT_DIRTY]		= "SOFT_DIRTY",
		[TEST_MIRROR_EVENT_RELEASE]		= "RELEASE",
		[TEST_MIRROR_EVENT_MIGRATE]		= "MIGRATE",
		[TEST_MIRROR_EVENT_EXCLUSIVE]		= "EXCLUSIVE",
	};

	if (event < sizeof(names) / sizeof(names[0]) && names[event])
		return names[event];
	return "?";
}

const char *tm_action_name(unsigned int action)
{
	static const char * const names[] = {
		[TEST_MIRROR_ACTION_NONE]	= "NONE",
		[TEST_MIRROR_ACTION_INVALIDATE]	= "INVALIDATE",
		[TEST_MIRROR_ACTION_DOWNGRADE]	= "DOWNGRADE",
		[TEST_MIRROR_ACTION_DROP]	= "DROP",
		[TEST_MIRROR_ACTION_RELEASE]	= "RELEASE",
		[TEST_MIRROR_ACTION_SKIP]	= "SKIP",
		[TEST_MIRROR_ACTION_BUSY]	= "BUSY",
	};

	if (action < sizeof(names) / sizeof(names[0]) && names[action])
		return names[action];
	return "?";
}

const char *tm_errname(int err)
{
	const char *name;

	if (err == 0)
		return "OK";
	name = strerrorname_np(err < 0 ? -err : err);
	return name ? name : "E?";
}

/* ------------------------------------------------------------------------ */
/* Memory and pattern helpers                                                */
/* ------------------------------------------------------------------------ */

size_t tm_page_size(void)
{
	static size_t page_size;

	if (!page_size)
		page_size = (size_t)sysconf(_SC_PAGESIZE);
	return page_size;
}

void *tm_map(size_t npages, int prot, int flags)
{
	size_t size = npages * PAGE_SZ;
	void *p;

	p = mmap(NULL, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* Best effort: THP may be compiled out. */
	madvise(p, size, MADV_NOHUGEPAGE);
	return p;
}

void *tm_map_aligned(size_t npages, size_t align, int prot)
{
	size_t size = npages * PAGE_SZ;
	uintptr_t start, astart;
	void *p;

	p = mmap(NULL, size + align, prot, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	start = (uintptr_t)p;
	astart = (start + align - 1) & ~(uintptr_t)(align - 1);
	if (astart > start)
		munmap(p, astart - start);
	if (astart + size < start + size + align)
		munmap((void *)(astart + size), start + align - astart);
	return (void *)astart;
}

int tm_unmap(void *addr, size_t npages)
{
	return munmap(addr, npages * PAGE_SZ) ? -errno : 0;
}

uint64_t tm_pattern_word(uint32_t seed, size_t word)
{
	uint64_t x = ((uint64_t)seed << 32) ^ word;

	/* splitmix64 finaliser; bit 0 forced so no word is ever zero */
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return (x ^ (x >> 31)) | 1;
}

void tm_fill(void *p, size_t size, uint32_t seed)
{
	uint64_t *w = p;
	size_t i;

	for (i = 0; i < size / 8; i++)
		w[i] = tm_pattern_word(seed, i);
}

ssize_t tm_check(const void *p, size_t size, uint32_t seed)
{
	const uint64_t *w = p;
	size_t i;

	for (i = 0; i < size / 8; i++)
		if (w[i] != tm_pattern_word(seed, i))
			return (ssize_t)(i * 8);
	return -1;
}

ssize_t tm_check_zero(const void *p, size_t size)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < size; i++)
		if (b[i])
			return (ssize_t)i;
	return -1;
}

/* ------------------------------------------------------------------------ */
/* Event log and snapshot helpers                                            */
/* ------------------------------------------------------------------------ */

int tm_evlog_read(int fd, struct tm_evlog *log, bool consume)
{
	return tm_events(fd, log->rec, TM_EVLOG_MAX, consume, &log->n,
			 &log->lost);
}

int tm_evlog_drain(int fd)
{
	struct drm_test_mirror_event rec[64];
	unsigned int n;
	int ret;

	do {
		ret = tm_events(fd, rec, 64, true, &n, NULL);
		if (ret)
			return ret;
	} while (n == 64);
	return 0;
}

static bool tm_rec_match(const struct drm_test_mirror_event *r,
			 unsigned int event, uint32_t handle)
{
	return r->event == event && (!handle || r->handle == handle);
}

void tm_evlog_sum(const struct tm_evlog *log, unsigned int event,
		  uint32_t handle, uint64_t start, uint64_t end,
		  struct tm_evsum *sum)
{
	uint64_t cursor = start;
	bool progress = true;
	unsigned int i;

	memset(sum, 0, sizeof(*sum));
	sum->flags_and = ~0u;
	for (i = 0; i < log->n; i++) {
		const struct drm_test_mirror_event *r = &log->rec[i];

		if (!tm_rec_match(r, event, handle))
			continue;
		if (r->end <= start || r->start >= end)
			continue;
		sum->count++;
		sum->actions |= 1u << (r->action & 31);
		sum->flags_and &= r->flags;
		sum->entries += r->entries;
	}
	if (!sum->count)
		sum->flags_and = 0;

	/* Does the union of the matching records cover [start, end)? */
	while (cursor < end && progress) {
		progress = false;
		for (i = 0; i < log->n; i++) {
			const struct drm_test_mirror_event *r = &log->rec[i];

			if (tm_rec_match(r, event, handle) &&
			    r->start <= cursor && r->end > cursor) {
				cursor = r->end;
				progress = true;
			}
		}
	}
	sum->covers = cursor >= end;
}

unsigned int tm_evlog_count(const struct tm_evlog *log, unsigned int event)
{
	unsigned int i, n = 0;

	for (i = 0; i < log->n; i++)
		n += log->rec[i].event == event;
	return n;
}

void tm_evlog_print(const struct tm_evlog *log)
{
	unsigned int i;

	tm_diag("event log: %u record(s), %" PRIu64 " lost", log->n, log->lost);
	for (i = 0; i < log->n; i++) {
		const struct drm_test_mirror_event *r = &log->rec[i];

		tm_diag("  seq %" PRIu64 " %s [0x%" PRIx64 ", 0x%" PRIx64
			") -> %s, handle %u, entries %" PRIu64 "%s",
			(uint64_t)r->seq, tm_event_name(r->event),
			(uint64_t)r->start, (uint64_t)r->end,
			tm_action_name(r->action), r->handle,
			(uint64_t)r->entries,
			r->flags & TEST_MIRROR_EVENT_F_BLOCKABLE ?
			"" : " (non-blockable)");
	}
}

char tm_snap_char(uint8_t snap)
{
	bool huge = snap & TEST_MIRROR_SNAP_HUGE;

	switch (snap & ~TEST_MIRROR_SNAP_HUGE) {
	case TEST_MIRROR_SNAP_NONE:
		return huge ? '?' : '.';
	case TEST_MIRROR_SNAP_READ:
		return huge ? 'r' : 'R';
	case TEST_MIRROR_SNAP_WRITE:
		return huge ? 'w' : 'W';
	case TEST_MIRROR_SNAP_DROPPED:
		return huge ? '?' : 'D';
	case TEST_MIRROR_SNAP_UNBOUND:
		return huge ? '?' : '-';
	default:
		return '?';
	}
}

char *tm_snap_str(const uint8_t *snap, size_t npages, char *buf)
{
	size_t i;

	for (i = 0; i < npages; i++) {
		buf[2 * i] = tm_snap_char(snap[i]);
		buf[2 * i + 1] = ' ';
	}
	buf[npages ? 2 * npages - 1 : 0] = '\0';
	return buf;
}

/* ------------------------------------------------------------------------ */
/* Module parameters                                                         */
/* ------------------------------------------------------------------------ */

int tm_param_get(const char *name, uint64_t *val)
{
	char path[256], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), TM_PARAM_DIR "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = '\0';
	if (buf[0] == 'Y' || buf[0] == 'y')
		*val = 1;
	else if (buf[0] == 'N' || buf[0] == 'n')
		*val = 0;
	else
		*val = strtoull(buf, NULL, 0);
	return 0;
}

int tm_param_set(const char *name, const char *val)
{
	size_t len = strlen(val);
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), TM_PARAM_DIR "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	return (size_t)n == len ? 0 : -EIO;
}

/* ------------------------------------------------------------------------ */
/* The harness                                                               */
/* ------------------------------------------------------------------------ */

#define TM_EXIT_PASS	0
#define TM_EXIT_FAIL	1
#define TM_EXIT_SKIP	4	/* kselftest's KSFT_SKIP */

/* Shared between the runner and each test child. */
struct tm_shared {
	char skip_reason[256];
};

static struct tm_test *tm_tests;
static unsigned int tm_ntests;
static struct tm_shared *tm_shared;

void tm_register(struct tm_test *t)
{
	t->next = tm_tests;
	tm_tests = t;
	tm_ntests++;
}

void tm_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

void tm_fail(const char *file, int line, const char *fmt, ...)
{
	const char *base = strrchr(file, '/');
	va_list ap;

	printf("# %s:%d: ", base ? base + 1 : file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	_exit(TM_EXIT_FAIL);
}

void tm_skip(const char *fmt, ...)
{
	char reason[sizeof(tm_shared->skip_reason)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (tm_shared)
		memcpy(tm_shared->skip_reason, reason, sizeof(reason));
	else
		printf("# SKIP %s\n", reason);
	fflush(stdout);
	_exit(TM_EXIT_SKIP);
}

static int tm_cmp_test(const void *a, const void *b)
{
	const struct tm_test *x = *(const struct tm_test * const *)a;
	const struct tm_test *y = *(const struct tm_test * const *)b;
	int c = strcmp(x->file, y->file);

	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

static uint64_t tm_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void __attribute__((noreturn)) tm_child(struct tm_test *t,
					       unsigned int timeout)
{
	sigset_t set;
	int fd = -1;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	setpgid(0, 0);
	alarm(timeout);

	if (!(t->opts & TM_OPT_NODEV)) {
		char path[64];

		fd = tm_open_dev(path, sizeof(path));
		if (fd < 0)
			FAIL("cannot open the test_mirror device: %s",
			     tm_errname(fd));
	}
	t->fn(fd);
	fflush(stdout);
	_exit(TM_EXIT_PASS);
}

/*
 * Wait for pid until deadline_ms (CLOCK_MONOTONIC). Returns true and the
 * status if it ended. SIGCHLD is blocked, so it can be waited for.
 */
static bool tm_wait_until(pid_t pid, uint64_t deadline_ms, int *status)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (;;) {
		struct timespec ts;
		uint64_t now;
		pid_t r;

		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
		now = tm_now_ms();
		if (now >= deadline_ms)
			return false;
		ts.tv_sec = (deadline_ms - now) / 1000;
		ts.tv_nsec = ((deadline_ms - now) % 1000) * 1000000;
		if (ts.tv_sec > 0 || ts.tv_nsec > 100000000) {
			ts.tv_sec = 0;
			ts.tv_nsec = 100000000;
		}
		sigtimedwait(&set, NULL, &ts);
	}
}

enum tm_outcome { TM_PASS, TM_FAIL, TM_SKIP };

/*
 * env TM_TIMEOUT_SCALE=N (N >= 1) multiplies every test's timeout, default
 * or its own: for slow kernels (make check-debug: KASAN + lockdep under TCG).
 */
unsigned int tm_timeout_scale(void)
{
	const char *env = getenv("TM_TIMEOUT_SCALE");
	int n = env ? atoi(env) : 1;

	return n > 1 ? (unsigned int)n : 1;
}

static enum tm_outcome tm_run_one(struct tm_test *t, unsigned int num,
				  unsigned int timeout, bool verbose)
{
	uint64_t start = tm_now_ms();
	enum tm_outcome out;
	int status = 0;
	pid_t pid;

	if (t->timeout)
		timeout = t->timeout;
	timeout *= tm_timeout_scale();
	tm_shared->skip_reason[0] = '\0';
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		tm_diag("fork: %s", tm_errname(errno));
		printf("not ok %u %s\n", num, t->name);
		return TM_FAIL;
	}
	if (pid == 0)
		tm_child(t, timeout);
	setpgid(pid, pid);

	if (!tm_wait_until(pid, start + (timeout + 5) * 1000ull, &status)) {
		tm_diag("%s: no exit %u s after the timeout: SIGKILL",
			t->name, 5);
		kill(-pid, SIGKILL);
		if (!tm_wait_until(pid, tm_now_ms() + 10000, &status)) {
			tm_diag("%s: still not dead after SIGKILL (stuck in the kernel?)",
				t->name);
			printf("not ok %u %s\n", num, t->name);
			return TM_FAIL;
		}
	}
	/* Grandchildren the test left behind. */
	kill(-pid, SIGKILL);

	if (WIFEXITED(status) && WEXITSTATUS(status) == TM_EXIT_PASS) {
		out = TM_PASS;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == TM_EXIT_SKIP) {
		out = TM_SKIP;
	} else {
		out = TM_FAIL;
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
			tm_diag("%s: timeout after %u s", t->name, timeout);
		else if (WIFSIGNALED(status))
			tm_diag("%s: killed by signal %d (%s)", t->name,
				WTERMSIG(status), strsignal(WTERMSIG(status)));
		else if (WEXITSTATUS(status) != TM_EXIT_FAIL)
			tm_diag("%s: exit status %d", t->name,
				WEXITSTATUS(status));
	}
	if (verbose)
		tm_diag("%s: %" PRIu64 " ms", t->name, tm_now_ms() - start);

	switch (out) {
	case TM_PASS:
		printf("ok %u %s\n", num, t->name);
		break;
	case TM_SKIP:
		tm_shared->skip_reason[sizeof(tm_shared->skip_reason) - 1] = 0;
		printf("ok %u %s # SKIP %s\n", num, t->name,
		       tm_shared->skip_reason[0] ? tm_shared->skip_reason :
		       "(no reason given)");
		break;
	case TM_FAIL:
		printf("not ok %u %s\n", num, t->name);
		break;
	}
	fflush(stdout);
	return out;
}

static void tm_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-l] [-v] [-T seconds] [-t pattern]... [pattern]...\n"
		"  -l          list the tests\n"
		"  -v          print each test's duration\n"
		"  -T seconds  per-test timeout (default %u, env TM_TIMEOUT)\n"
		"  -t pattern  run the tests whose name matches (fnmatch)\n",
		prog, TM_DEFAULT_TIMEOUT);
}

int tm_main(int argc, char **argv)
{
	unsigned int pass = 0, fail = 0, skip = 0, nsel = 0, i, j;
	unsigned int timeout = TM_DEFAULT_TIMEOUT;
	const char **pats;
	unsigned int npats = 0;
	struct tm_test **all, **sel, *t;
	bool list = false, verbose = false;
	const char *env;
	sigset_t set;
	int opt;

	env = getenv("TM_TIMEOUT");
	if (env && atoi(env) > 0)
		timeout = (unsigned int)atoi(env);

	pats = calloc((size_t)argc + 1, sizeof(*pats));
	all = calloc(tm_ntests + 1, sizeof(*all));
	sel = calloc(tm_ntests + 1, sizeof(*sel));
	if (!pats || !all || !sel) {
		perror("calloc");
		return 2;
	}

	while ((opt = getopt(argc, argv, "lvT:t:h")) != -1) {
		switch (opt) {
		case 'l':
			list = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'T':
			if (atoi(optarg) <= 0) {
				tm_usage(argv[0]);
				return 2;
			}
			timeout = (unsigned int)atoi(optarg);
			break;
		case 't':
			pats[npats++] = optarg;
			break;
		default:
			tm_usage(argv[0]);
			return 2;
		}
	}
	for (i = (unsigned int)optind; i < (unsigned int)argc; i++)
		pats[npats++] = argv[i];

	for (i = 0, t = tm_tests; t; t = t->next)
		all[i++] = t;
	qsort(all, tm_ntests, sizeof(*all), tm_cmp_test);

	for (i = 0; i < tm_ntests; i++) {
		bool want = !npats;

		for (j = 0; j < npats && !want; j++)
			want = !fnmatch(pats[j], all[i]->name, 0);
		if (want)
			sel[nsel++] = all[i];
	}
	for (j = 0; j < npats; j++) {
		bool found = false;

		for (i = 0; i < tm_ntests && !found; i++)
			found = !fnmatch(pats[j], all[i]->name, 0);
		if (!found) {
			fprintf(stderr, "%s: no test matches '%s'\n",
				argv[0], pats[j]);
			return 2;
		}
	}

	if (list) {
		for (i = 0; i < nsel; i++)
			printf("%s\n", sel[i]->name);
		return 0;
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	tm_shared = mmap(NULL, sizeof(*tm_shared), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tm_shared == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	/* SIGCHLD stays blocked in the runner so it can be waited for. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);

	printf("TAP version 13\n");
	printf("1..%u\n", nsel);
	for (i = 0; i < nsel; i++) {
		switch (tm_run_one(sel[i], i + 1, timeout, verbose)) {
		case TM_PASS:
			pass++;
			break;
		case TM_FAIL:
			fail++;
			break;
		case TM_SKIP:
			skip++;
			break;
		}
	}
	printf("# Totals: pass:%u fail:%u xfail:0 xpass:0 skip:%u error:0\n",
	       pass, fail, skip);
	printf("%u passed, %u failed, %u skipped\n", pass, fail, skip);
	fflush(stdout);
	return fail ? 1 : 0;
}

/* ------------------------------------------------------------------------ */
/* Test-only helpers                                                         */
/* ------------------------------------------------------------------------ */

void *tm_must_map_at(size_t npages, int prot, const char *file, int line)
{
	void *p = tm_map(npages, prot, 0);

	if (!p)
		tm_fail(file, line, "mmap of %zu pages: %s", npages,
			tm_errname(errno));
	return p;
}

void *tm_must_map_pattern_at(size_t npages, uint32_t seed, const char *file,
			     int line)
{
	void *p = tm_must_map_at(npages, PROT_READ | PROT_WRITE, file, line);

	tm_fill(p, npages * PAGE_SZ, seed);
	return p;
}

uint32_t tm_must_bind_at(int fd, const void *addr, size_t size,
			 uint32_t flags, const char *file, int line)
{
	uint32_t handle = 0;
	int ret;

	ret = tm_bind(fd, addr, size, flags, &handle);
	if (ret)
		tm_fail(file, line, "bind(%p, 0x%zx, 0x%x): %s", addr, size,
			flags, tm_errname(ret));
	if (!handle)
		tm_fail(file, line, "bind(%p, 0x%zx, 0x%x) returned handle 0",
			addr, size, flags);
	return handle;
}

void tm_must_stats_at(int fd, struct drm_test_mirror_stats *st,
		      const char *file, int line)
{
	int ret = tm_stats(fd, st, false);

	if (ret)
		tm_fail(file, line, "stats: %s", tm_errname(ret));
}

struct tm_evlog *tm_must_evlog_at(int fd, const char *file, int line)
{
	struct tm_evlog *log = calloc(1, sizeof(*log));
	int ret;

	if (!log)
		tm_fail(file, line, "out of memory");
	ret = tm_evlog_read(fd, log, false);
	if (ret)
		tm_fail(file, line, "events: %s", tm_errname(ret));
	return log;
}

int tm_must_open_at(const char *file, int line)
{
	int fd = tm_open();

	if (fd < 0)
		tm_fail(file, line, "cannot open the test_mirror device: %s",
			tm_errname(fd));
	return fd;
}

pid_t tm_fork(void)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		FAIL("fork: %s", tm_errname(errno));
	return pid;
}

void tm_must_wait_ok_at(pid_t pid, const char *file, int line)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			tm_fail(file, line, "waitpid(%d): %s", pid,
				tm_errname(errno));
	}
	if (WIFSIGNALED(status))
		tm_fail(file, line, "child %d killed by signal %d (%s)", pid,
			WTERMSIG(status), strsignal(WTERMSIG(status)));
	if (WEXITSTATUS(status))
		tm_fail(file, line, "child %d exited with status %d", pid,
			WEXITSTATUS(status));
}

/* ------------------------------------------------------------------------ */
/* userfaultfd                                                               */
/* ------------------------------------------------------------------------ */

int tm_must_uffd_missing_at(void *addr, size_t size, const char *file,
			    int line)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)addr, .len = size },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	int u = (int)syscall(__NR_userfaultfd, O_CLOEXEC);

	if (u < 0)
		tm_skip("userfaultfd: %s", tm_errname(errno));
	if (ioctl(u, UFFDIO_API, &api))
		tm_fail(file, line, "UFFDIO_API: %s", tm_errname(errno));
	if (ioctl(u, UFFDIO_REGISTER, &reg))
		tm_fail(file, line, "UFFDIO_REGISTER of %p +0x%zx: %s", addr,
			size, tm_errname(errno));
	return u;
}

int tm_uffd_wait(int uffd, int timeout_ms, uint64_t *addr)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;
	int r;

	do {
		r = poll(&pfd, 1, timeout_ms);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		return -EIO;
	if (msg.event != UFFD_EVENT_PAGEFAULT)
		return -EPROTO;
	if (addr)
		*addr = msg.arg.pagefault.address;
	return 0;
}

int tm_uffd_copy(int uffd, void *addr, const void *src)
{
	struct uffdio_copy cp = {
		.dst = (uintptr_t)addr,
		.src = (uintptr_t)src,
		.len = PAGE_SZ,
	};

	return ioctl(uffd, UFFDIO_COPY, &cp) ? -errno : 0;
}

static void *tm_held_fn(void *arg)
{
	struct tm_held *h = arg;

	__atomic_store_n(&h->tid, gettid(), __ATOMIC_RELEASE);
	if (h->write)
		h->ret = tm_write(h->fd, h->addr, PAGE_SZ, h->buf, &h->res);
	else
		h->ret = tm_read(h->fd, h->addr, PAGE_SZ, h->buf, &h->res);
	return NULL;
}

void tm_held_start_at(struct tm_held *h, int fd, const void *addr, bool write,
		      const char *file, int line)
{
	void *buf = tm_must_map_at(1, PROT_READ | PROT_WRITE, file, line);

	tm_held_start_buf_at(h, fd, addr, write, buf, file, line);
}

void tm_held_start_buf_at(struct tm_held *h, int fd, const void *addr,
			  bool write, void *buf, const char *file, int line)
{
	pthread_t t;
	int r;

	memset(h, 0, sizeof(*h));
	h->fd = fd;
	h->addr = addr;
	h->write = write;
	h->buf = buf;
	h->uffd = tm_must_uffd_missing_at(h->buf, PAGE_SZ, file, line);
	if (pthread_create(&t, NULL, tm_held_fn, h))
		tm_fail(file, line, "pthread_create");
	h->thread = (unsigned long)t;
	r = tm_uffd_wait(h->uffd, 10000, NULL);
	if (r)
		tm_fail(file, line, "the device %s did not wait for its buffer: %s",
			write ? "WRITE" : "READ", tm_errname(r));
}

void tm_held_release_at(struct tm_held *h, uint8_t fill, const char *file,
			int line)
{
	uint8_t *page = malloc(PAGE_SZ);
	int r;

	if (!page)
		tm_fail(file, line, "out of memory");
	memset(page, fill, PAGE_SZ);
	r = tm_uffd_copy(h->uffd, h->buf, page);
	free(page);
	if (r)
		tm_fail(file, line, "UFFDIO_COPY: %s", tm_errname(r));
	pthread_join((pthread_t)h->thread, NULL);
	close(h->uffd);
}
