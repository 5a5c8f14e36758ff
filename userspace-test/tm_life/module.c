// SPDX-License-Identifier: GPL-2.0
/*
 * tm_life: module references. rmmod is refused while a file, a file in
 * another process, or a mapping of the test_hmm-compatible device holds
 * the module; and --cycles N, unload/load cycles of the module with
 * finit_module() and delete_module(), a device round trip every 10
 * cycles, the module loaded again at the end with the parameters it had;
 * then one load with a short job_timeout_ms: a STREAM job longer than it
 * ends with -ETIMEDOUT, and the module unloads while another process holds
 * the fence of a job its closed file cancelled (before 7.x, exit waits for
 * that process to let go of the fence).
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tm_life.h"

static int delete_module(const char *name, unsigned int flags)
{
	return syscall(__NR_delete_module, name, flags) ? -errno : 0;
}

/*
 * rmmod must be refused while a file, a file in another process, or a
 * mapping of the test_hmm-compatible device holds the module.
 */
TEST(rmmod_refused_while_held)
{
	int r, hfd = -1;
	bool enabled;
	pid_t pid;
	int sv[2];
	char c;

	if (!tm_module_loaded())
		SKIP("test_mirror is not loaded as a module");
	r = delete_module("test_mirror", O_NONBLOCK);
	if (r != -EWOULDBLOCK && r != -EBUSY)
		FAIL("delete_module with a file open: %s, expected EWOULDBLOCK", tm_errname(r));
	ASSERT_TRUE(tm_module_loaded());
	/* held only by a file in a child */
	ASSERT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = tm_fork();
	if (!pid) {
		int f = tm_must_open();

		ASSERT_EQ(write(sv[1], "r", 1), 1);
		ASSERT_EQ(read(sv[1], &c, 1), 1);
		close(f);
		_exit(0);
	}
	ASSERT_EQ(read(sv[0], &c, 1), 1);
	r = delete_module("test_mirror", O_NONBLOCK);
	if (r != -EWOULDBLOCK && r != -EBUSY)
		FAIL("delete_module while a child holds a file: %s", tm_errname(r));
	ASSERT_EQ(write(sv[0], "x", 1), 1);
	tm_must_exit0(tm_wait_bounded(pid, 30000, "child"), "child");
	/* a mapping of the hmm device holds it after its file is closed */
	enabled = (tm_hmm_enable() == 1);
	if (!access("/dev/hmm_dmirror0", F_OK))
		hfd = open("/dev/hmm_dmirror0", O_RDWR | O_CLOEXEC);
	if (hfd >= 0) {
		void *m = mmap(NULL, SZ(4), PROT_READ | PROT_WRITE, MAP_SHARED, hfd, 0);

		ASSERT_TRUE(m != MAP_FAILED);
		close(hfd);
		close(fd);	/* the harness's file too */
		r = delete_module("test_mirror", O_NONBLOCK);
		if (r != -EWOULDBLOCK && r != -EBUSY)
			FAIL("delete_module with only a mapping of /dev/hmm_dmirror0 left: %s",
			     tm_errname(r));
		munmap(m, SZ(4));
		tm_diag("also refused while only an mmap of /dev/hmm_dmirror0 held it");
	}
	if (enabled)
		tm_param_set("hmm_compat", "0");
	ASSERT_TRUE(tm_module_loaded());
}

/* ------------------------------------------------------------------------ */
/* --cycles N: unload and load the module                                    */
/* ------------------------------------------------------------------------ */

static int finit_module(int fd, const char *params, int flags)
{
	return syscall(__NR_finit_module, fd, params, flags) ? -errno : 0;
}

/* "name=value ..." of the current parameters, to load with them again. */
static void current_params(char *buf, size_t len)
{
	DIR *d = opendir("/sys/module/test_mirror/parameters");
	struct dirent *de;
	size_t n = 0;

	buf[0] = 0;
	if (!d)
		return;
	while ((de = readdir(d))) {
		char p[512], v[128];
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/module/test_mirror/parameters/%s",
			 de->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		if (fgets(v, sizeof(v), f)) {
			v[strcspn(v, "\n")] = 0;
			n += snprintf(buf + n, len - n, "%s%s=%s", n ? " " : "",
				      de->d_name, v);
		}
		fclose(f);
	}
	closedir(d);
}

static int module_file(char *path, size_t len)
{
	snprintf(path, len, "/lib/modules/%s/extra/test_mirror.ko",
		 tm_kernel_release());
	if (!access(path, R_OK))
		return open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, len, "/lib/modules/test_mirror.ko");
	return open(path, O_RDONLY | O_CLOEXEC);
}

/*
 * Where the device has memory of its own, move the 4 pages at p there.
 * Return: whether they are all there.
 */
static bool move_to_device(int g, uint8_t *p)
{
	struct drm_test_mirror_devmem a = {
		.addr = (uintptr_t)p, .size = SZ(4),
		.op = TEST_MIRROR_DEVMEM_TO_DEVICE,
	};
	struct drm_test_mirror_stats st;

	if (tm_stats(g, &st, false) ||
	    !(st.caps & TEST_MIRROR_CAP_DEVICE_PRIVATE))
		return false;
	return !tm_ioctl(g, DRM_IOCTL_TEST_MIRROR_DEVMEM, &a) && a.pages == 4;
}

/*
 * Every other such cycle, where the device has 2 MiB folios, a 2 MiB
 * transparent huge page moves there too (one device folio), bound and
 * moved through g. Return: the block, or NULL where the device or the
 * guest has none; *ok is cleared when the move fails (or is not whole).
 */
static uint8_t *move_huge_to_device(int g, unsigned int seed, bool *ok)
{
	struct drm_test_mirror_devmem a = { .op = TEST_MIRROR_DEVMEM_TO_DEVICE };
	struct drm_test_mirror_stats st;
	uint8_t *p;
	uint32_t h;

	if (tm_stats(g, &st, false) ||
	    !(st.caps & TEST_MIRROR_CAP_DEVICE_HUGE) || !tm_thp_usable())
		return NULL;
	p = tm_map_aligned(HUGE_PAGES, HUGE_SZ, PROT_READ | PROT_WRITE);
	if (!p)
		return NULL;
	madvise(p, HUGE_SZ, MADV_HUGEPAGE);
	tm_fill(p, HUGE_SZ, seed);
	a.addr = (uintptr_t)p;
	a.size = HUGE_SZ;
	if (tm_bind(g, p, HUGE_SZ, RW, &h) ||
	    tm_ioctl(g, DRM_IOCTL_TEST_MIRROR_DEVMEM, &a) ||
	    a.pages != HUGE_PAGES) {
		printf("# a 2 MiB move to the device failed: %llu pages moved\n",
		       (unsigned long long)a.pages);
		*ok = false;
		munmap(p, HUGE_SZ);
		return NULL;
	}
	return p;
}

/* The parameters with job_timeout_ms=ms instead of its value. */
static void with_timeout(const char *params, unsigned int ms, char *out,
			 size_t len)
{
	const char *t = strstr(params, "job_timeout_ms=");
	size_t pre = t ? (size_t)(t - params) : strlen(params);
	const char *rest = t ? strchr(t, ' ') : NULL;

	snprintf(out, len, "%.*s%sjob_timeout_ms=%u%s", (int)pre, params,
		 pre && !t ? " " : "", ms, rest ? rest : "");
}

/* The child holding a fence across the unload: its status, then exit. */
static void hold_fence(int sync_file, int dev, int ready)
{
	int status = 0;

	close(dev);	/* the device file is the parent's to close */
	if (write(ready, "h", 1) != 1)
		_exit(2);
	tm_sleep_ms(1500);
	/* after the unload on 7.x: the fence's ops are detached */
	if (tm_fence_status(-1, 0, sync_file, 0, &status) || status != -ECANCELED) {
		printf("# the held fence: status %d, expected ECANCELED\n", status);
		_exit(1);
	}
	_exit(0);
}

/*
 * The fault model's part of 3: a fault-model STREAM of 2 s ends with
 * -ETIMEDOUT in its user fence; then a FILL of 16 MiB that the device has
 * never seen, still faulting (or queued) when the file is closed and the
 * module unloaded. Return: the FILL's user fence, for after the unload.
 */
static struct drm_test_mirror_ufence *fault_jobs_before_unload(int g)
{
	uint8_t *big = tm_map(4096, PROT_READ | PROT_WRITE, 0);
	struct drm_test_mirror_ufence *uf = tm_map(1, PROT_READ | PROT_WRITE, 0);
	uint8_t *m = tm_map(64, PROT_READ | PROT_WRITE, 0);
	uint64_t t0 = tm_now_ms();
	int r;

	if (!big || !uf || !m || tm_bind(g, big, SZ(4096), RW, NULL) ||
	    tm_bind(g, uf, SZ(1), RW, NULL) || tm_bind(g, m, SZ(64), RW, NULL)) {
		printf("# cannot set up the fault-model jobs\n");
		return NULL;
	}
	struct drm_test_mirror_submit job = {
		.op = TEST_MIRROR_JOB_STREAM, .dst = (uintptr_t)m,
		.size = SZ(64), .value = 1, .duration_ms = 2000,
		.flags = TEST_MIRROR_SUBMIT_FAULTABLE,
		.ufence_addr = (uintptr_t)uf, .ufence_value = 1,
	};
	r = tm_submit(g, &job);
	if (!r)
		r = tm_wait_ufence(g, &uf->seqno, 1, 10000000000LL);
	if (r || uf->error != -ETIMEDOUT) {
		printf("# a 2 s fault-model STREAM with job_timeout_ms=300: %s, error %d after %llu ms, expected ETIMEDOUT\n",
		       tm_errname(r), uf->error,
		       (unsigned long long)(tm_now_ms() - t0));
		return NULL;
	}
	printf("# fault model: a 2 s STREAM ended with ETIMEDOUT after %llu ms\n",
	       (unsigned long long)(tm_now_ms() - t0));
	job = (struct drm_test_mirror_submit){
		.op = TEST_MIRROR_JOB_FILL, .dst = (uintptr_t)big,
		.size = SZ(4096), .value = 2,
		.flags = TEST_MIRROR_SUBMIT_FAULTABLE,
		.ufence_addr = (uintptr_t)uf, .ufence_value = 2,
	};
	r = tm_submit(g, &job);
	if (r) {
		printf("# a fault-model FILL of 16 MiB: %s\n", tm_errname(r));
		return NULL;
	}
	return uf;
}

/*
 * 3: loaded with job_timeout_ms=300, a STREAM of 2 s ends with -ETIMEDOUT;
 * then a STREAM cancelled by the close of its file, whose fence a child
 * holds (as a sync_file) across the unload; the same in the fault model
 * (fault_jobs_before_unload()), with device faults in flight at the close.
 * Leaves the module unloaded.
 */
static bool jobs_across_unload(int mfd, const char *params)
{
	char p[1200];
	struct drm_test_mirror_ufence *uf;
	uint64_t t0, t_to, t_rm;
	int g, r, status = 0, sf, sv[2];
	uint32_t so;
	uint8_t *m;
	pid_t pid;
	char c;

	with_timeout(params, 300, p, sizeof(p));
	r = finit_module(mfd, p, 0);
	if (r) {
		printf("# finit_module(\"%s\"): %s\n", p, tm_errname(r));
		return false;
	}
	g = tm_open();
	m = tm_map(64, PROT_READ | PROT_WRITE, 0);
	if (g < 0 || !m || tm_bind(g, m, SZ(64), RW | PREFAULT, NULL) ||
	    tm_syncobj_new(g, false, &so)) {
		printf("# cannot set up a job: %s\n", tm_errname(g));
		return false;
	}
	struct drm_test_mirror_submit job = {
		.op = TEST_MIRROR_JOB_STREAM, .dst = (uintptr_t)m,
		.size = SZ(64), .value = 1, .duration_ms = 2000,
		.out_syncobj = so,
	};
	t0 = tm_now_ms();
	r = tm_submit(g, &job);
	if (!r)
		r = tm_fence_status(g, so, -1, 10000, &status);
	t_to = tm_now_ms() - t0;
	if (r || status != -ETIMEDOUT) {
		printf("# a 2 s STREAM with job_timeout_ms=300: %s, status %d after %llu ms, expected ETIMEDOUT\n",
		       tm_errname(r), status, (unsigned long long)t_to);
		return false;
	}
	uf = fault_jobs_before_unload(g);
	if (!uf)
		return false;
	/*
	 * The second job: cancelled by the close, its fence in a child. It
	 * reads: fork() write-protects the pages, which ends a writing job.
	 */
	job.dst = 0;
	job.value = 0;
	job.src = (uintptr_t)m;
	r = tm_submit(g, &job);
	sf = r ? r : tm_fence_export(g, so);
	if (sf < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		printf("# second STREAM: %s\n", tm_errname(sf));
		return false;
	}
	pid = tm_fork();
	if (!pid)
		hold_fence(sf, g, sv[1]);
	close(sf);
	if (read(sv[0], &c, 1) != 1)
		return false;
	close(g);
	t0 = tm_now_ms();
	r = delete_module("test_mirror", O_NONBLOCK);
	t_rm = tm_now_ms() - t0;
	status = tm_wait_bounded(pid, 30000, "fence holder");
	printf("# job_timeout_ms=300: a 2 s STREAM ended with ETIMEDOUT after %llu ms; unload with a cancelled job's fence held by another process: %s after %llu ms\n",
	       (unsigned long long)t_to, tm_errname(r), (unsigned long long)t_rm);
	/* the FILL stopped at the close: not done, its fence 1 or 2 */
	printf("# the fault-model FILL closed while faulting: fence seqno %llu error %d\n",
	       (unsigned long long)uf->seqno, uf->error);
	if (uf->seqno == 2 && uf->error && uf->error != -ECANCELED)
		return false;
	munmap(m, SZ(64));
	return !r && WIFEXITED(status) && !WEXITSTATUS(status);
}

int cycles_main(unsigned int cycles)
{
	char params[1024], params_hmm[1100], path[256], *hp;
	unsigned int i, trips = 0, hmm_trips = 0, devmem_trips = 0;
	uint8_t *held = NULL, *held_huge = NULL;
	unsigned int huge_trips = 0;
	uint64_t t0;
	int r, f, mfd;
	bool ok1 = true, ok2 = true, ok3;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..3\n");
	if (!tm_module_loaded()) {
		printf("ok 1 rmmod_refused_while_open # SKIP test_mirror not loaded\n");
		printf("ok 2 load_unload_cycles # SKIP test_mirror not loaded\n");
		printf("ok 3 jobs_across_unload # SKIP test_mirror not loaded\n");
		return 0;
	}
	current_params(params, sizeof(params));
	/* every other load also registers the test_hmm-compatible devices */
	snprintf(params_hmm, sizeof(params_hmm), "%s", params);
	hp = strstr(params_hmm, "hmm_compat=");
	if (hp)
		hp[strlen("hmm_compat=")] = 'Y';
	mfd = module_file(path, sizeof(path));
	printf("# module %s, parameters \"%s\"\n", path, params);

	/* 1: refused while a file is open; then the unload works */
	f = tm_open();
	if (f < 0) {
		printf("# cannot open the device: %s\n", tm_errname(f));
		ok1 = false;
	} else {
		r = delete_module("test_mirror", O_NONBLOCK);
		if (r != -EWOULDBLOCK && r != -EBUSY) {
			printf("# delete_module with a file open: %s\n", tm_errname(r));
			ok1 = false;
		}
		close(f);
	}
	r = delete_module("test_mirror", O_NONBLOCK);
	if (r) {
		printf("# delete_module after close: %s (is something else holding test_mirror?)\n",
		       tm_errname(r));
		ok1 = false;
	} else if (tm_module_loaded()) {
		printf("# delete_module succeeded but /sys/module/test_mirror remains\n");
		ok1 = false;
	}
	printf("%s 1 rmmod_refused_while_open\n", ok1 ? "ok" : "not ok");

	/* 2: cycles (the module is unloaded now if 1 passed) */
	t0 = tm_now_ms();
	for (i = 0; ok1 && i < cycles; i++) {
		if (mfd < 0) {
			printf("# no module file %s\n", path);
			ok2 = false;
			break;
		}
		r = finit_module(mfd, hp && (i & 1) ? params_hmm : params, 0);
		if (r) {
			printf("# cycle %u: finit_module: %s\n", i, tm_errname(r));
			ok2 = false;
			break;
		}
		if (i % 10 == 0) {
			/* the device works: a round trip, then close */
			uint8_t *p = tm_map(4, PROT_READ | PROT_WRITE, 0);
			uint8_t b[4096];
			uint32_t h;
			int g;

			g = tm_open();
			if (g < 0 || !p) {
				printf("# cycle %u: open: %s\n", i, tm_errname(g));
				ok2 = false;
				break;
			}
			tm_fill(p, SZ(4), i);
			if (tm_bind(g, p, SZ(4), RW | PREFAULT, &h) ||
			    tm_read(g, p, 4096, b, NULL) || tm_check(b, 4096, i) >= 0) {
				printf("# cycle %u: device round trip failed\n", i);
				ok2 = false;
			}
			/*
			 * With device memory, the pages stay in it past the
			 * close, to the unload, which must bring them home.
			 */
			held = move_to_device(g, p) ? p : NULL;
			if (i % 20 == 0)
				held_huge = move_huge_to_device(g, i + 1, &ok2);
			close(g);
			if (!held)
				munmap(p, SZ(4));
			trips++;
		}
		if (hp && i % 10 == 5) {
			/* the hmm devices came and work (devtmpfs makes the node) */
			int k, g = -1;

			for (k = 0; k < 200 && g < 0; k++) {
				g = open("/dev/hmm_dmirror1", O_RDWR | O_CLOEXEC);
				if (g < 0)
					usleep(5000);
			}
			if (g < 0) {
				printf("# cycle %u: /dev/hmm_dmirror1: %s\n", i, tm_errname(errno));
				ok2 = false;
				break;
			}
			close(g);
			hmm_trips++;
		}
		r = delete_module("test_mirror", O_NONBLOCK);
		if (r) {
			printf("# cycle %u: delete_module: %s\n", i, tm_errname(r));
			ok2 = false;
			break;
		}
		if (held) {
			/* evicted by the unload: the CPU reads the data */
			if (tm_check(held, SZ(4), i) >= 0) {
				printf("# cycle %u: device pages lost their data at unload\n", i);
				ok2 = false;
			}
			munmap(held, SZ(4));
			held = NULL;
			devmem_trips++;
		}
		if (held_huge) {
			/* a 2 MiB device folio, evicted whole by the unload */
			if (tm_check(held_huge, HUGE_SZ, i + 1) >= 0) {
				printf("# cycle %u: a 2 MiB device folio lost its data at unload\n", i);
				ok2 = false;
			}
			munmap(held_huge, HUGE_SZ);
			held_huge = NULL;
			huge_trips++;
		}
	}
	ok3 = ok1 && ok2 && mfd >= 0 && !tm_module_loaded() &&
	      jobs_across_unload(mfd, params);
	/* leave it loaded, as the guest expects */
	if (!tm_module_loaded() && mfd >= 0) {
		r = finit_module(mfd, params, 0);
		if (r) {
			printf("# final finit_module: %s\n", tm_errname(r));
			ok2 = false;
		}
	}
	printf("# %u unload/load cycles in %llu ms (%u DRM round trips, %u of them unloading with 4 pages in device memory, %u with a 2 MiB device folio too, %u opens of the hmm devices, every other load with hmm_compat=Y); loaded again: %s\n",
	       i, (unsigned long long)(tm_now_ms() - t0), trips, devmem_trips,
	       huge_trips, hmm_trips,
	       tm_module_loaded() ? "yes" : "NO");
	if (!tm_module_loaded())
		ok2 = false;
	f = tm_open();
	if (f < 0) {
		printf("# the device does not open after the cycles: %s\n", tm_errname(f));
		ok2 = false;
	} else {
		close(f);
	}
	printf("%s 2 load_unload_cycles\n", ok2 && ok1 ? "ok" : "not ok");
	printf("%s 3 jobs_across_unload\n", ok3 ? "ok" : "not ok");
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n",
	       ok1 + (ok1 && ok2) + ok3, !ok1 + !(ok1 && ok2) + !ok3);
	return ok1 && ok2 && ok3 ? 0 : 1;
}
