// SPDX-License-Identifier: GPL-2.0
/*
 * tm_fuzz: the tests of the DRM front-end's call classes, and of raw ioctl
 * numbers.
 *
 * A test opens a second file, binds the arena in both first where its class
 * says so, and loops over its share of the calls: a random operation of its
 * mix, issued normally, raw or with a bad argument pointer in the class's
 * proportions, interleaved with CPU-side changes, the arena compared with
 * the shadow every 64 calls. At the end, the arena and both files' STATS
 * must agree with the model. drm_raw_nr issues ioctl numbers that are not
 * the driver's: -ENOTTY for another type, -EINVAL for a number in the
 * driver's range above its last ioctl (WAIT_UFENCE).
 */
#include <sys/ioctl.h>

#include "tm_fuzz.h"

void drm_setup(int fd)
{
	struct drm_test_mirror_stats st;
	uint64_t v;
	int fd2;

	world_setup();
	if (!tm_param_get("max_bindings", &v))
		max_bindings = v;
	if (max_bindings < 4)
		SKIP("max_bindings is %" PRIu64, max_bindings);
	fd2 = tm_must_open();
	memset(mf, 0, sizeof(mf));
	mf[0].fd = fd;
	mf[1].fd = fd2;
	tm_must_stats(fd, &st);
	aware = st.caps & TEST_MIRROR_CAP_EVENT_AWARE;
	devmem_cap = st.caps & TEST_MIRROR_CAP_DEVICE_PRIVATE;
	excl_cap = st.caps & TEST_MIRROR_CAP_DEVICE_EXCLUSIVE;
	memset(on_sys, 0, sizeof(on_sys));
	if (st.bindings)
		FAIL("a new file has %llu bindings", (unsigned long long)st.bindings);
	jobs_setup();
}

void drm_teardown(const char *name)
{
	struct drm_test_mirror_stats st;
	int f;

	check_arena("at the end");
	for (f = 0; f < 2; f++) {
		tm_must_stats(mf[f].fd, &st);
		check_stats_out(&mf[f], &st);
	}
	print_counts(name);
}

typedef void (*opfn)(enum issue_mode);

static void drm_loop(const char *name, uint64_t calls, unsigned int raw_pct,
		     unsigned int ptr_pct, const opfn *ops, size_t nops,
		     unsigned int cpu_pct)
{
	uint64_t last = 0;

	while (cnt_calls < calls) {
		if (cnt_calls - last >= 64) {
			last = cnt_calls;
			check_arena("periodic");
		}
		if (cpu_pct && chance(cpu_pct)) {
			cpu_op();
			continue;
		}
		keep_bound();
		if (cnt_calls >= calls)
			break;
		ops[rn(nops)](pick_mode(raw_pct, ptr_pct));
	}
	drm_teardown(name);
}

static void op_read(enum issue_mode m) { op_access(m, false); }
static void op_write(enum issue_mode m) { op_access(m, true); }

/* Keep the binding count moderate: bind more often than unbind. */
static void op_bind_unbind(enum issue_mode m)
{
	if (chance(60))
		op_bind(m);
	else
		op_unbind(m);
}

static const opfn all_ops[] = {
	op_bind_unbind, op_bind_unbind, op_read, op_read, op_write, op_write,
	op_snapshot, op_stats, op_events,
#ifdef DRM_IOCTL_TEST_MIRROR_MIGRATE
	op_migrate,
#endif
	op_devmem, op_atomic, op_submit, op_wait_ufence,
};
#define N_ALL_OPS (sizeof(all_ops) / sizeof(all_ops[0]))

/* Some bindings over the arena, so that accesses reach memory. */
void seed_bindings(void)
{
	static const uint32_t fl[] = {
		TEST_MIRROR_BIND_READ | TEST_MIRROR_BIND_WRITE,
		TEST_MIRROR_BIND_READ,
	};
	size_t i;
	int f;

	for (f = 0; f < 2; f++) {
		for (i = 0; i < NA; i += 16) {
			uint32_t h = 0, flags = fl[(i / 16 + f) % 2];
			int ret = tm_bind(mf[f].fd, arena + i * PAGE_SZ, 16 * PAGE_SZ,
					  flags, &h);

			count_ret(ret);
			if (ret)
				FAIL("seed bind: %s", tm_errname(ret));
			model_add(&mf[f], h, (uintptr_t)arena + i * PAGE_SZ,
				  (uintptr_t)arena + (i + 16) * PAGE_SZ, flags);
		}
	}
}

/*
 * The call classes of the DRM front-end: one loop, a variant per class
 * (its share of the calls, the mix of operations, how many are issued raw
 * or with a bad argument pointer, how often the CPU changes the arena).
 * The name keeps deriving the class's seed, as before it was a variant.
 */
FIXTURE(drm) {};

FIXTURE_VARIANT(drm) {
	const char *name;		/* its seed and its counts' label */
	unsigned int weight;		/* share of --calls, percent */
	const opfn *ops;
	size_t nops;
	unsigned int raw_pct, ptr_pct, cpu_pct;
	bool seed;			/* bind the arena first */
	unsigned int keep_bound_pct, guided_pct;
};

#define OPS(...) .ops = (const opfn[]){ __VA_ARGS__ }, \
	.nops = sizeof((const opfn[]){ __VA_ARGS__ }) / sizeof(opfn)

FIXTURE_VARIANT_ADD(drm, bind) {
	.name = "drm_bind", .weight = 10, .cpu_pct = 2, .guided_pct = 30,
	OPS(op_bind, op_bind, op_unbind, op_read, op_stats),
};

FIXTURE_VARIANT_ADD(drm, unbind) {
	.name = "drm_unbind", .weight = 6,
	OPS(op_bind, op_unbind, op_unbind, op_stats),
};

FIXTURE_VARIANT_ADD(drm, access) {
	.name = "drm_access", .weight = 18, .cpu_pct = 3, .seed = true,
	.keep_bound_pct = 75, .guided_pct = 50,
	OPS(op_read, op_write, op_read, op_write, op_bind_unbind),
};

FIXTURE_VARIANT_ADD(drm, snapshot) {
	.name = "drm_snapshot", .weight = 8, .cpu_pct = 4, .seed = true,
	.keep_bound_pct = 75, .guided_pct = 40,
	OPS(op_snapshot, op_snapshot, op_read, op_write, op_bind_unbind),
};

FIXTURE_VARIANT_ADD(drm, stats_events) {
	.name = "drm_stats_events", .weight = 8, .cpu_pct = 10, .seed = true,
	.keep_bound_pct = 75, .guided_pct = 40,
	OPS(op_stats, op_events, op_events, op_bind_unbind, op_read, op_write),
};

#ifdef DRM_IOCTL_TEST_MIRROR_MIGRATE
FIXTURE_VARIANT_ADD(drm, migrate) {
	.name = "drm_migrate", .weight = 5, .cpu_pct = 5, .seed = true,
	.keep_bound_pct = 75, .guided_pct = 40,
	OPS(op_migrate, op_migrate, op_read, op_write, op_bind_unbind,
	    op_snapshot),
};
#endif

/*
 * DEVMEM both ways among device accesses; without device memory every
 * well-formed DEVMEM is -EOPNOTSUPP.
 */
FIXTURE_VARIANT_ADD(drm, devmem) {
	.name = "drm_devmem", .weight = 6, .cpu_pct = 5, .seed = true,
	.keep_bound_pct = 75, .guided_pct = 40,
	OPS(op_devmem, op_devmem, op_read, op_write, op_read, op_write,
	    op_bind_unbind, op_snapshot),
};

/*
 * ATOMIC among device and CPU accesses: the word it returns is what the
 * shadow holds, and the shadow then holds the result; without the cap every
 * well-formed ATOMIC is -EOPNOTSUPP.
 */
FIXTURE_VARIANT_ADD(drm, atomic) {
	.name = "drm_atomic", .weight = 6, .cpu_pct = 5, .seed = true,
	.keep_bound_pct = 75, .guided_pct = 40,
	OPS(op_atomic, op_atomic, op_atomic, op_read, op_write, op_read,
	    op_bind_unbind, op_snapshot, op_devmem),
};

/*
 * SUBMIT of both models among device accesses and CPU changes: each job
 * queued is waited for, its fence (syncobj or user fence) must say what
 * the model says and the arena must then hold what it wrote; WAIT_UFENCE
 * on any memory.
 */
FIXTURE_VARIANT_ADD(drm, submit) {
	.name = "drm_submit", .weight = 6, .cpu_pct = 5, .seed = true,
	.keep_bound_pct = 75, .guided_pct = 40,
	OPS(op_submit, op_submit, op_submit, op_read, op_write, op_stats,
	    op_bind_unbind, op_snapshot, op_wait_ufence),
};

FIXTURE_VARIANT_ADD(drm, raw_size) {
	.name = "drm_raw_size", .weight = 12, .raw_pct = 100, .cpu_pct = 2,
	.seed = true, .keep_bound_pct = 75, .guided_pct = 30,
	.ops = all_ops, .nops = N_ALL_OPS,
};

FIXTURE_VARIANT_ADD(drm, argptr) {
	.name = "drm_argptr", .weight = 6, .ptr_pct = 100, .cpu_pct = 2,
	.seed = true, .ops = all_ops, .nops = N_ALL_OPS,
};

FIXTURE_VARIANT_ADD(drm, mixed) {
	.name = "drm_mixed", .weight = 10, .raw_pct = 10, .ptr_pct = 5,
	.cpu_pct = 6, .seed = true, .keep_bound_pct = 75, .guided_pct = 40,
	.ops = all_ops, .nops = N_ALL_OPS,
};

TEST_F_OPTS(drm, drm, 0, 0)
{
	seed_for(variant->name);
	drm_setup(fd);
	if (variant->seed)
		seed_bindings();
	keep_bound_pct = variant->keep_bound_pct;
	guided_pct = variant->guided_pct;
	drm_loop(variant->name, share(variant->weight), variant->raw_pct,
		 variant->ptr_pct, variant->ops, variant->nops,
		 variant->cpu_pct);
}

/* ------------------------------------------------------------------------ */
/* Raw ioctl numbers                                                         */
/* ------------------------------------------------------------------------ */

static void op_raw_nr(void)
{
	unsigned int nr, type = 'd', size = (unsigned int)rn(256);
	unsigned int dir = (unsigned int)rn(4);
	unsigned long req;
	int ret, want;

	memset(argpage, 0, 2 * PAGE_SZ);
	switch (rn(4)) {
	case 0:	/* another ioctl type, a known driver number: not DRM's */
		type = (unsigned int)rn(256);
		if (type == 'd')
			type = 'e';
		nr = 0x40 + (unsigned int)rn(n_drm_cmds);
		want = -ENOTTY;
		break;
	default: /* a number in the driver range, above its last ioctl */
		nr = 0x40 + TM_FUZZ_DRM_NR_END +
		     (unsigned int)rn(0xa0 - 0x40 - TM_FUZZ_DRM_NR_END);
		want = -EINVAL;
		break;
	}
	req = _IOC(dir, type, nr, size);
	ret = tm_ioctl(mf[rn(2)].fd, req, chance(80) ? argpage : NULL);
	count_ret(ret);
	if (ret != want)
		FAIL("ioctl 0x%lx (type 0x%x nr 0x%x): %s, expected %s", req,
		     type, nr, tm_errname(ret), tm_errname(want));
	cnt_checks++;
}

TEST_OPTS(drm_raw_nr, 0, 0)
{
	uint64_t calls = share(4);

	seed_for("drm_raw_nr");
	drm_setup(fd);
	while (cnt_calls < calls)
		op_raw_nr();
	drm_teardown("drm_raw_nr");
}
