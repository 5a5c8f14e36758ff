/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tm_harness.h: the KTAP (kselftest) harness of the test programs
 * (tm_harness.c).
 *
 * A program declares tests with TEST(name) { ... } and calls tm_main()
 * from main() (TM_MAIN() writes that main()). Each test runs in its own
 * forked child (in its own process group) with its own freshly opened
 * device file, so a crash, a hang or a test that forks cannot take the
 * runner down. ASSERT_*() end the test on the first failure and print
 * file:line and both values; SKIP() ends it as skipped.
 *
 * Per program (TM_PROGRAM()): options of its own (--seconds N ...), parsed
 * with the harness's, a setup hook run once before the tests (it may end
 * the program instead, for a mode of its own), and a teardown hook run
 * after them.
 *
 * Fixtures with variants, in the spirit of kselftest_harness.h: one body,
 * TEST_F(fixture, name), is registered once and run once per
 * FIXTURE_VARIANT_ADD() of its fixture, each run reported as its own KTAP
 * result "name.variant", with the variant's parameters in *variant and the
 * fixture's data (set up by FIXTURE_SETUP, undone by FIXTURE_TEARDOWN) in
 * *self. (kselftest reports "fixture.variant.name"; here the test's name
 * comes first, so that a test turned into variants keeps its name as the
 * prefix of theirs.) Use a variant where one body is asserted for several
 * configurations (a policy, an ioctl, a kind of CPU change); keep what
 * differs by kernel as per-kernel asserts inside the body. A fixture, its
 * variants and its tests live in one source file (they are static).
 *
 * Example:
 *
 *	FIXTURE(policy) { int f; };
 *	FIXTURE_VARIANT(policy) { bool aware; };
 *	FIXTURE_VARIANT_ADD(policy, aware) { .aware = true };
 *	FIXTURE_VARIANT_ADD(policy, blind) { .aware = false };
 *	FIXTURE_SETUP(policy) { self->f = ...; }
 *	FIXTURE_TEARDOWN(policy) { close(self->f); }
 *	TEST_F(policy, unmap_by_policy) { ... variant->aware ... self->f ... }
 *
 * runs unmap_by_policy.aware and unmap_by_policy.blind.
 */
#ifndef _TM_HARNESS_H_
#define _TM_HARNESS_H_

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ------------------------------------------------------------------------ */
/* Tests                                                                     */
/* ------------------------------------------------------------------------ */

/* Test options (TEST_OPTS). */
#define TM_OPT_NODEV	(1u << 0)	/* do not open the device: fd is -1 */

#define TM_DEFAULT_TIMEOUT	30	/* seconds, per test */

struct tm_fixture;

struct tm_test {
	const char *name;
	/* the body: variant is NULL for a test of no fixture with variants */
	void (*fn)(int fd, const void *variant);
	const char *file;
	int line;
	unsigned int opts;
	unsigned int timeout;		/* seconds, 0 = default */
	struct tm_fixture *fixture;	/* TEST_F only */
	struct tm_test *next;
};

void tm_register(struct tm_test *t);

#define TM_UNUSED	__attribute__((unused))

/*
 * TEST(name) { body } - declare a test. The body runs in a forked child,
 * with fd a test_mirror file opened by that child. Tests run in the order of
 * their declaration.
 */
#define TEST(name) TEST_OPTS(name, 0, 0)
#define TEST_OPTS(name, opts, timeout)					\
	static void name(int fd);					\
	static void tm_run_##name(int fd, const void *v TM_UNUSED)	\
	{								\
		name(fd);						\
	}								\
	static struct tm_test tm_test_##name = {			\
		#name, tm_run_##name, __FILE__, __LINE__, (opts),	\
		(timeout), NULL, NULL					\
	};								\
	__attribute__((constructor)) static void tm_reg_##name(void)	\
	{								\
		tm_register(&tm_test_##name);				\
	}								\
	static void name(int fd TM_UNUSED)

/* ------------------------------------------------------------------------ */
/* Fixtures and variants                                                     */
/* ------------------------------------------------------------------------ */

struct tm_variant {
	const char *name;
	const void *data;		/* the FIXTURE_VARIANT_ADD() initializer */
	int line;			/* variants run in declaration order */
	struct tm_variant *next;
};

struct tm_fixture {
	const char *name;
	struct tm_variant *variants;	/* none: each test runs once, as is */
	/* in the test's child, around the body (void * for the types of fx) */
	void (*setup)(int fd, void *self, const void *variant);
	void (*teardown)(int fd, void *self, const void *variant);
};

void tm_variant_add(struct tm_fixture *f, struct tm_variant *v);
/*
 * Run by tm_fail() and tm_skip() (and after a body that returns): the
 * teardown of the test that runs in this child, if it has one and it did
 * not run yet.
 */
void tm_teardown_now(void);
/* Set by each TEST_F() run: what tm_teardown_now() undoes. */
void tm_teardown_arm(const struct tm_fixture *f, int fd, void *self,
		     const void *variant);

/*
 * FIXTURE(fx) { data }; - the data each test of the fixture gets as *self
 * (zeroed, then FIXTURE_SETUP()). May be empty: FIXTURE(fx) {};
 */
#define FIXTURE(fx)							\
	struct tm_variant_##fx;						\
	static struct tm_fixture tm_fixture_##fx = { #fx, NULL, NULL, NULL }; \
	struct tm_self_##fx

/* FIXTURE_VARIANT(fx) { parameters }; - what each variant sets. */
#define FIXTURE_VARIANT(fx) struct tm_variant_##fx

/*
 * FIXTURE_VARIANT_ADD(fx, vname) { .field = value, ... }; - a variant:
 * every TEST_F() of fx runs once with it, reported as "test.vname".
 */
#define FIXTURE_VARIANT_ADD(fx, vname)					\
	static const struct tm_variant_##fx tm_vdata_##fx##_##vname;	\
	static struct tm_variant tm_var_##fx##_##vname = {		\
		#vname, &tm_vdata_##fx##_##vname, __LINE__, NULL	\
	};								\
	__attribute__((constructor)) static void tm_vreg_##fx##_##vname(void) \
	{								\
		tm_variant_add(&tm_fixture_##fx, &tm_var_##fx##_##vname); \
	}								\
	static const struct tm_variant_##fx tm_vdata_##fx##_##vname =

/*
 * FIXTURE_SETUP(fx) { ... } / FIXTURE_TEARDOWN(fx) { ... } - run in the
 * test's child before / after each body of fx, with fd, self and variant.
 * The teardown also runs when the body (or the setup) fails or skips, once.
 */
#define FIXTURE_SETUP(fx)						\
	static void tm_fsetup_##fx(int fd, struct tm_self_##fx *self,	\
				   const struct tm_variant_##fx *variant); \
	static void tm_fsetup_w_##fx(int fd, void *self, const void *v)	\
	{								\
		tm_fsetup_##fx(fd, self, v);				\
	}								\
	__attribute__((constructor)) static void tm_fsreg_##fx(void)	\
	{								\
		tm_fixture_##fx.setup = tm_fsetup_w_##fx;		\
	}								\
	static void tm_fsetup_##fx(int fd TM_UNUSED,			\
				   struct tm_self_##fx *self TM_UNUSED,	\
				   const struct tm_variant_##fx *variant TM_UNUSED)

#define FIXTURE_TEARDOWN(fx)						\
	static void tm_fteardown_##fx(int fd, struct tm_self_##fx *self, \
				      const struct tm_variant_##fx *variant); \
	static void tm_fteardown_w_##fx(int fd, void *self, const void *v) \
	{								\
		tm_fteardown_##fx(fd, self, v);				\
	}								\
	__attribute__((constructor)) static void tm_ftreg_##fx(void)	\
	{								\
		tm_fixture_##fx.teardown = tm_fteardown_w_##fx;		\
	}								\
	static void tm_fteardown_##fx(int fd TM_UNUSED,			\
				      struct tm_self_##fx *self TM_UNUSED, \
				      const struct tm_variant_##fx *variant TM_UNUSED)

/*
 * TEST_F(fx, name) { body } - a test of fixture fx; the body sees fd,
 * self and variant (NULL if fx has no variants).
 */
#define TEST_F(fx, name) TEST_F_OPTS(fx, name, 0, 0)
#define TEST_F_OPTS(fx, name, opts, timeout)				\
	static void name(int fd, struct tm_self_##fx *self,		\
			 const struct tm_variant_##fx *variant);	\
	static void tm_run_##name(int fd, const void *v)		\
	{								\
		static struct tm_self_##fx self;			\
									\
		tm_teardown_arm(&tm_fixture_##fx, fd, &self, v);	\
		if (tm_fixture_##fx.setup)				\
			tm_fixture_##fx.setup(fd, &self, v);		\
		name(fd, &self, v);					\
		tm_teardown_now();					\
	}								\
	static struct tm_test tm_test_##name = {			\
		#name, tm_run_##name, __FILE__, __LINE__, (opts),	\
		(timeout), &tm_fixture_##fx, NULL			\
	};								\
	__attribute__((constructor)) static void tm_reg_##name(void)	\
	{								\
		tm_register(&tm_test_##name);				\
	}								\
	static void name(int fd TM_UNUSED,				\
			 struct tm_self_##fx *self TM_UNUSED,		\
			 const struct tm_variant_##fx *variant TM_UNUSED)

/* ------------------------------------------------------------------------ */
/* The program: its options and hooks                                        */
/* ------------------------------------------------------------------------ */

enum tm_opt_type {
	TM_OPT_FLAG,		/* bool, set by the option alone */
	TM_OPT_UINT,		/* unsigned int */
	TM_OPT_U64,		/* uint64_t */
	TM_OPT_STR,		/* const char *, the argument itself */
};

/* One option of a program: --name [ARG]. */
struct tm_option {
	const char *name;	/* without the leading "--"; NULL ends a list */
	enum tm_opt_type type;
	void *val;		/* where the value goes */
	const char *arg;	/* the argument's name in the usage ("N") */
	const char *help;
};

/* What tm_main() hands the setup hook. */
struct tm_run {
	unsigned int timeout;	/* default per-test timeout, seconds */
	bool timeout_given;	/* -T or env TM_TIMEOUT: leave timeout alone */
	bool list;		/* -l: the tests will only be listed */
};

struct tm_program {
	/* the line after "usage: prog [harness options]" (may be NULL) */
	const char *usage;
	const struct tm_option *options;	/* ended by { NULL } */
	/*
	 * Once, in the runner, after the options were parsed and before any
	 * test (also with -l): may change run->timeout (unless
	 * run->timeout_given). Returns -1 to run the tests, or an exit status
	 * to end the program at once: a mode of the program that is not the
	 * tests (tm_life --cycles, a helper run through exec).
	 */
	int (*setup)(struct tm_run *run);
	/*
	 * Once, after the last test, with the exit status; returns the one
	 * the program ends with.
	 */
	int (*teardown)(int status);
};

void tm_set_program(const struct tm_program *p);

/*
 * TM_PROGRAM(.options = opts, .setup = fn, ...); - declare the program's
 * options and hooks (at most once per program).
 */
#define TM_PROGRAM(...)							\
	static const struct tm_program tm_program_ = { __VA_ARGS__ };	\
	__attribute__((constructor)) static void tm_reg_program_(void)	\
	{								\
		tm_set_program(&tm_program_);				\
	}

/*
 * tm_main() - run the registered tests, print KTAP, return the exit status
 *
 * Usage: prog [program options] [-l] [-v] [-T seconds] [-t pattern]...
 *             [pattern]...
 *   -l           list the tests (each variant as name.variant) and exit
 *   -v           print each test's duration as a diagnostic
 *   -T seconds   default per-test timeout (also env TM_TIMEOUT)
 *                (env TM_TIMEOUT_SCALE=N multiplies every test's timeout)
 *   -t pattern   run only tests whose name matches (fnmatch), repeatable;
 *                bare arguments are patterns too. A pattern selects a test
 *                with variants by its name.variant or by its name alone
 *                (all its variants).
 * Exit status: 0 if no test failed, 1 otherwise, 2 on a usage error.
 */
int tm_main(int argc, char **argv);

/* main() of a program that is tm_main() and nothing else. */
#define TM_MAIN()							\
	int main(int argc, char **argv)					\
	{								\
		return tm_main(argc, argv);				\
	}

/* ------------------------------------------------------------------------ */
/* Outcomes and assertions                                                   */
/* ------------------------------------------------------------------------ */

/* The exit status of a test child that skipped (kselftest's KSFT_SKIP). */
#define TM_EXIT_SKIP	4

/* End the test as failed / skipped. printf-style message. */
void tm_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));
void tm_skip(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
/* Print a "# " diagnostic line. */
void tm_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * The factor of env TM_TIMEOUT_SCALE (1 if unset or below 1), by which the
 * harness multiplies every test's timeout: tests that bound a duration of
 * their own multiply it too.
 */
unsigned int tm_timeout_scale(void);
/* CLOCK_MONOTONIC in milliseconds / nanoseconds. */
uint64_t tm_now_ms(void);
uint64_t tm_now_ns(void);
/* Sleep ms milliseconds, whatever signals arrive. */
void tm_sleep_ms(unsigned int ms);

#define FAIL(...)	tm_fail(__FILE__, __LINE__, __VA_ARGS__)
#define SKIP(...)	tm_skip(__VA_ARGS__)

/* "EINVAL" for -EINVAL or EINVAL; "OK" for 0. Never NULL. */
const char *tm_errname(int err);

#define TM_ASSERT_U(a, op, b) do {					\
	unsigned long long __a = (unsigned long long)(a);		\
	unsigned long long __b = (unsigned long long)(b);		\
	if (!(__a op __b))						\
		tm_fail(__FILE__, __LINE__,				\
			"expected %s %s %s: %lld (0x%llx) vs %lld (0x%llx)", \
			#a, #op, #b, (long long)__a, __a,		\
			(long long)__b, __b);				\
} while (0)

#define TM_ASSERT_S(a, op, b) do {					\
	long long __a = (long long)(a);					\
	long long __b = (long long)(b);					\
	if (!(__a op __b))						\
		tm_fail(__FILE__, __LINE__,				\
			"expected %s %s %s: %lld (0x%llx) vs %lld (0x%llx)", \
			#a, #op, #b, __a, (unsigned long long)__a,	\
			__b, (unsigned long long)__b);			\
} while (0)

/* Equality compares the bit patterns; ordering compares signed values. */
#define ASSERT_EQ(a, b)		TM_ASSERT_U(a, ==, b)
#define ASSERT_NE(a, b)		TM_ASSERT_U(a, !=, b)
#define ASSERT_LT(a, b)		TM_ASSERT_S(a, <, b)
#define ASSERT_LE(a, b)		TM_ASSERT_S(a, <=, b)
#define ASSERT_GT(a, b)		TM_ASSERT_S(a, >, b)
#define ASSERT_GE(a, b)		TM_ASSERT_S(a, >=, b)

#define ASSERT_TRUE(c) do {						\
	if (!(c))							\
		tm_fail(__FILE__, __LINE__, "expected %s", #c);		\
} while (0)
#define ASSERT_FALSE(c) do {						\
	if (c)								\
		tm_fail(__FILE__, __LINE__, "expected !(%s)", #c);	\
} while (0)

/* call returns 0 or -errno (the tm_*() convention); expect err (<= 0). */
#define ASSERT_ERRNO(call, err) do {					\
	int __r = (call);						\
	int __e = (err);						\
	if (__r != __e)							\
		tm_fail(__FILE__, __LINE__, "%s: expected %s, got %s (%d)", \
			#call, tm_errname(__e), tm_errname(__r), __r);	\
} while (0)
#define ASSERT_OK(call)		ASSERT_ERRNO(call, 0)

/* A libc call that returns -1 and sets errno on failure must succeed. */
#define ASSERT_SYS(call) do {						\
	if ((long)(call) == -1)						\
		tm_fail(__FILE__, __LINE__, "%s: %s", #call,		\
			tm_errname(errno));				\
} while (0)

/* ------------------------------------------------------------------------ */
/* Processes inside a test                                                   */
/* ------------------------------------------------------------------------ */

/*
 * fork() for use inside a test: stdout is flushed first. The child must end
 * with _exit() (or a failing ASSERT, which exits with status 1).
 */
pid_t tm_fork(void);
/* Wait for pid and fail the test unless it exited with status 0. */
void tm_must_wait_ok_at(pid_t pid, const char *file, int line);
#define tm_must_wait_ok(pid) tm_must_wait_ok_at(pid, __FILE__, __LINE__)
/*
 * Wait for pid at most ms milliseconds (times tm_timeout_scale()); past
 * that, SIGKILL it and fail the test ("what": a hang). Returns the status.
 */
int tm_wait_bounded_at(pid_t pid, unsigned int ms, const char *what,
		       const char *file, int line);
#define tm_wait_bounded(pid, ms, what) \
	tm_wait_bounded_at(pid, ms, what, __FILE__, __LINE__)
/* Fail the test unless status (of waitpid()) is an exit with status 0. */
void tm_must_exit0_at(int status, const char *what, const char *file,
		      int line);
#define tm_must_exit0(status, what) \
	tm_must_exit0_at(status, what, __FILE__, __LINE__)

/* One byte through a pipe or socket, to step two processes in turn. */
void tm_send_byte_at(int f, const char *file, int line);
void tm_wait_byte_at(int f, const char *file, int line);
#define tm_send_byte(f)	tm_send_byte_at(f, __FILE__, __LINE__)
#define tm_wait_byte(f)	tm_wait_byte_at(f, __FILE__, __LINE__)

#endif /* _TM_HARNESS_H_ */
