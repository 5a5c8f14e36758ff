// SPDX-License-Identifier: GPL-2.0
/*
 * tm_harness: the KTAP harness of the test programs: registration of tests,
 * fixtures and variants, the program's options and hooks, one forked child
 * per test run, timeouts, the outcome of each run. See tm_harness.h.
 */
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tm_lib.h"

#define TM_EXIT_PASS	0
#define TM_EXIT_FAIL	1

/* Shared between the runner and each test child. */
struct tm_shared {
	char skip_reason[256];
};

/* One run of a test: the test itself, or one variant of a TEST_F(). */
struct tm_case {
	struct tm_test *test;
	const struct tm_variant *variant;	/* NULL: no variants */
	char *name;				/* "name" or "name.variant" */
};

static struct tm_test *tm_tests;
static unsigned int tm_ntests;
static struct tm_shared *tm_shared;
static const struct tm_program *tm_prog;

void tm_register(struct tm_test *t)
{
	t->next = tm_tests;
	tm_tests = t;
	tm_ntests++;
}

void tm_variant_add(struct tm_fixture *f, struct tm_variant *v)
{
	struct tm_variant **pp = &f->variants;

	/* keep them in declaration order, whatever the constructors' order */
	while (*pp && (*pp)->line < v->line)
		pp = &(*pp)->next;
	v->next = *pp;
	*pp = v;
}

void tm_set_program(const struct tm_program *p)
{
	tm_prog = p;
}

/* ------------------------------------------------------------------------ */
/* Outcomes                                                                  */
/* ------------------------------------------------------------------------ */

/* The fixture teardown armed in this test child, run at most once. */
static struct {
	const struct tm_fixture *fixture;
	int fd;
	void *self;
	const void *variant;
} tm_armed;

void tm_teardown_arm(const struct tm_fixture *f, int fd, void *self,
		     const void *variant)
{
	tm_armed.fixture = f;
	tm_armed.fd = fd;
	tm_armed.self = self;
	tm_armed.variant = variant;
}

void tm_teardown_now(void)
{
	const struct tm_fixture *f = tm_armed.fixture;

	/* disarmed first: a teardown that fails does not run again */
	tm_armed.fixture = NULL;
	if (f && f->teardown)
		f->teardown(tm_armed.fd, tm_armed.self, tm_armed.variant);
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
	tm_teardown_now();
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
	tm_teardown_now();
	_exit(TM_EXIT_SKIP);
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
/* Time                                                                      */
/* ------------------------------------------------------------------------ */

uint64_t tm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t tm_now_ms(void)
{
	return tm_now_ns() / 1000000;
}

void tm_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

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

/* ------------------------------------------------------------------------ */
/* Processes inside a test                                                   */
/* ------------------------------------------------------------------------ */

pid_t tm_fork(void)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		FAIL("fork: %s", tm_errname(errno));
	if (pid == 0)
		/* the child's failures must not undo the parent's fixture */
		tm_armed.fixture = NULL;
	return pid;
}

void tm_must_exit0_at(int status, const char *what, const char *file,
		      int line)
{
	if (WIFSIGNALED(status))
		tm_fail(file, line, "%s: killed by signal %d (%s)", what,
			WTERMSIG(status), strsignal(WTERMSIG(status)));
	if (WEXITSTATUS(status))
		tm_fail(file, line, "%s: exit status %d", what,
			WEXITSTATUS(status));
}

void tm_must_wait_ok_at(pid_t pid, const char *file, int line)
{
	char what[32];
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			tm_fail(file, line, "waitpid(%d): %s", pid,
				tm_errname(errno));
	}
	snprintf(what, sizeof(what), "child %d", (int)pid);
	tm_must_exit0_at(status, what, file, line);
}

int tm_wait_bounded_at(pid_t pid, unsigned int ms, const char *what,
		       const char *file, int line)
{
	uint64_t end;
	int status;

	ms *= tm_timeout_scale();
	end = tm_now_ms() + ms;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			tm_fail(file, line, "waitpid(%s): %s", what,
				tm_errname(errno));
		if (tm_now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			tm_fail(file, line,
				"%s: still running after %u ms (hang): killed",
				what, ms);
		}
		usleep(20000);
	}
}

void tm_send_byte_at(int f, const char *file, int line)
{
	if (write(f, "x", 1) != 1)
		tm_fail(file, line, "sync write: %s", tm_errname(errno));
}

void tm_wait_byte_at(int f, const char *file, int line)
{
	char c;

	if (read(f, &c, 1) != 1)
		tm_fail(file, line, "sync read: %s", tm_errname(errno));
}

/* ------------------------------------------------------------------------ */
/* Running one test                                                          */
/* ------------------------------------------------------------------------ */

static int tm_cmp_test(const void *a, const void *b)
{
	const struct tm_test *x = *(const struct tm_test * const *)a;
	const struct tm_test *y = *(const struct tm_test * const *)b;
	int c = strcmp(x->file, y->file);

	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

static void __attribute__((noreturn)) tm_child(const struct tm_case *c,
					       unsigned int timeout)
{
	struct tm_test *t = c->test;
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
	t->fn(fd, c->variant ? c->variant->data : NULL);
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

static enum tm_outcome tm_run_one(const struct tm_case *c, unsigned int num,
				  unsigned int timeout, bool verbose)
{
	uint64_t start = tm_now_ms();
	const char *name = c->name;
	enum tm_outcome out;
	int status = 0;
	pid_t pid;

	if (c->test->timeout)
		timeout = c->test->timeout;
	timeout *= tm_timeout_scale();
	tm_shared->skip_reason[0] = '\0';
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		tm_diag("fork: %s", tm_errname(errno));
		printf("not ok %u %s\n", num, name);
		return TM_FAIL;
	}
	if (pid == 0)
		tm_child(c, timeout);
	setpgid(pid, pid);

	if (!tm_wait_until(pid, start + (timeout + 5) * 1000ull, &status)) {
		tm_diag("%s: no exit %u s after the timeout: SIGKILL",
			name, 5);
		kill(-pid, SIGKILL);
		if (!tm_wait_until(pid, tm_now_ms() + 10000, &status)) {
			tm_diag("%s: still not dead after SIGKILL (stuck in the kernel?)",
				name);
			printf("not ok %u %s\n", num, name);
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
			tm_diag("%s: timeout after %u s", name, timeout);
		else if (WIFSIGNALED(status))
			tm_diag("%s: killed by signal %d (%s)", name,
				WTERMSIG(status), strsignal(WTERMSIG(status)));
		else if (WEXITSTATUS(status) != TM_EXIT_FAIL)
			tm_diag("%s: exit status %d", name,
				WEXITSTATUS(status));
	}
	if (verbose)
		tm_diag("%s: %" PRIu64 " ms", name, tm_now_ms() - start);

	switch (out) {
	case TM_PASS:
		printf("ok %u %s\n", num, name);
		break;
	case TM_SKIP:
		tm_shared->skip_reason[sizeof(tm_shared->skip_reason) - 1] = 0;
		printf("ok %u %s # SKIP %s\n", num, name,
		       tm_shared->skip_reason[0] ? tm_shared->skip_reason :
		       "(no reason given)");
		break;
	case TM_FAIL:
		printf("not ok %u %s\n", num, name);
		break;
	}
	fflush(stdout);
	return out;
}

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

static void tm_usage(const char *prog)
{
	const struct tm_option *o;

	fprintf(stderr, "usage: %s%s [-l] [-v] [-T seconds] [-t pattern]... "
		"[pattern]...\n", prog,
		tm_prog && tm_prog->options ? " [options]" : "");
	if (tm_prog && tm_prog->usage)
		fprintf(stderr, "  %s\n", tm_prog->usage);
	for (o = tm_prog ? tm_prog->options : NULL; o && o->name; o++) {
		char head[64];

		snprintf(head, sizeof(head), "--%s%s%s", o->name,
			 o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(stderr, "  %-20s %s\n", head, o->help ? o->help : "");
	}
	fprintf(stderr,
		"  -l                   list the tests\n"
		"  -v                   print each test's duration\n"
		"  -T seconds           per-test timeout (default %u, env TM_TIMEOUT)\n"
		"  -t pattern           run the tests whose name matches (fnmatch)\n",
		TM_DEFAULT_TIMEOUT);
}

/* Store the argument of program option o. 0, or -1 if it is not valid. */
static int tm_opt_store(const struct tm_option *o, const char *arg)
{
	unsigned long long v;
	char *end;

	switch (o->type) {
	case TM_OPT_FLAG:
		*(bool *)o->val = true;
		return 0;
	case TM_OPT_STR:
		*(const char **)o->val = arg;
		return 0;
	case TM_OPT_UINT:
	case TM_OPT_U64:
		errno = 0;
		v = strtoull(arg, &end, 0);
		if (errno || end == arg || *end || arg[0] == '-')
			return -1;
		if (o->type == TM_OPT_U64) {
			*(uint64_t *)o->val = v;
		} else {
			if (v > ~0u)
				return -1;
			*(unsigned int *)o->val = (unsigned int)v;
		}
		return 0;
	}
	return -1;
}

/* ------------------------------------------------------------------------ */
/* tm_main                                                                   */
/* ------------------------------------------------------------------------ */

/* Does pattern select case c: by its full name, or by its test's name? */
static bool tm_match(const char *pat, const struct tm_case *c)
{
	return !fnmatch(pat, c->name, 0) ||
	       (c->variant && !fnmatch(pat, c->test->name, 0));
}

/* Every run of every test, in declaration order: *n of them. */
static struct tm_case *tm_cases(unsigned int *n)
{
	struct tm_test **all, *t;
	struct tm_case *cases;
	unsigned int i, k = 0, max = 0;

	all = calloc(tm_ntests + 1, sizeof(*all));
	if (!all)
		return NULL;
	for (i = 0, t = tm_tests; t; t = t->next) {
		const struct tm_variant *v;
		unsigned int nv = 0;

		all[i++] = t;
		for (v = t->fixture ? t->fixture->variants : NULL; v; v = v->next)
			nv++;
		max += nv ? nv : 1;
	}
	qsort(all, tm_ntests, sizeof(*all), tm_cmp_test);
	cases = calloc(max + 1, sizeof(*cases));
	if (!cases) {
		free(all);
		return NULL;
	}
	for (i = 0; i < tm_ntests; i++) {
		const struct tm_variant *v = all[i]->fixture ?
					     all[i]->fixture->variants : NULL;

		if (!v) {
			cases[k].test = all[i];
			cases[k++].name = (char *)all[i]->name;
			continue;
		}
		for (; v; v = v->next) {
			cases[k].test = all[i];
			cases[k].variant = v;
			if (asprintf(&cases[k].name, "%s.%s", all[i]->name,
				     v->name) < 0)
				return NULL;
			k++;
		}
	}
	free(all);
	*n = k;
	return cases;
}

int tm_main(int argc, char **argv)
{
	unsigned int pass = 0, fail = 0, skip = 0, nsel = 0, ncases = 0;
	struct tm_run run = { .timeout = TM_DEFAULT_TIMEOUT };
	const struct tm_option *po = tm_prog ? tm_prog->options : NULL;
	struct tm_case *cases, **sel;
	struct option *lopts;
	unsigned int npo = 0, npats = 0, i, j;
	bool verbose = false;
	const char **pats;
	const char *env;
	sigset_t set;
	int opt, idx, status;

	env = getenv("TM_TIMEOUT");
	if (env && atoi(env) > 0) {
		run.timeout = (unsigned int)atoi(env);
		run.timeout_given = true;
	}

	while (po && po[npo].name)
		npo++;
	lopts = calloc(npo + 1, sizeof(*lopts));
	pats = calloc((size_t)argc + 1, sizeof(*pats));
	cases = tm_cases(&ncases);
	sel = calloc(ncases + 1, sizeof(*sel));
	if (!lopts || !pats || !cases || !sel) {
		perror("calloc");
		return 2;
	}
	for (i = 0; i < npo; i++) {
		lopts[i].name = po[i].name;
		lopts[i].has_arg = po[i].type == TM_OPT_FLAG ? no_argument :
							       required_argument;
		lopts[i].val = 0x100 + (int)i;
	}

	while ((opt = getopt_long(argc, argv, "lvT:t:h", lopts, &idx)) != -1) {
		if (opt >= 0x100 && opt < 0x100 + (int)npo) {
			const struct tm_option *o = &po[opt - 0x100];

			if (tm_opt_store(o, optarg)) {
				fprintf(stderr, "%s: --%s: not a valid %s: '%s'\n",
					argv[0], o->name, o->arg ? o->arg : "value",
					optarg);
				return 2;
			}
			continue;
		}
		switch (opt) {
		case 'l':
			run.list = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'T':
			if (atoi(optarg) <= 0) {
				tm_usage(argv[0]);
				return 2;
			}
			run.timeout = (unsigned int)atoi(optarg);
			run.timeout_given = true;
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

	for (i = 0; i < ncases; i++) {
		bool want = !npats;

		for (j = 0; j < npats && !want; j++)
			want = tm_match(pats[j], &cases[i]);
		if (want)
			sel[nsel++] = &cases[i];
	}
	for (j = 0; j < npats; j++) {
		bool found = false;

		for (i = 0; i < ncases && !found; i++)
			found = tm_match(pats[j], &cases[i]);
		if (!found) {
			fprintf(stderr, "%s: no test matches '%s'\n",
				argv[0], pats[j]);
			return 2;
		}
	}

	if (tm_prog && tm_prog->setup) {
		status = tm_prog->setup(&run);
		if (status >= 0)
			return status;
	}

	if (run.list) {
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
		switch (tm_run_one(sel[i], i + 1, run.timeout, verbose)) {
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
	status = fail ? 1 : 0;
	if (tm_prog && tm_prog->teardown)
		status = tm_prog->teardown(status);
	return status;
}
