// SPDX-License-Identifier: GPL-2.0
/*
 * tm_fuzz: unbind racing device accesses, drm_race_unbind.
 *
 * Threads on one file: a binder unbinds and binds the range again, a
 * stealer unbinds handles at random, three accessors READ and WRITE it,
 * an observer takes SNAPSHOT, STATS and EVENTS. Every call returns 0 or
 * the -ENOENT of a range unbound meanwhile, READ returns the memory's data,
 * and the memory holds exactly what it held.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tm_fuzz.h"

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
