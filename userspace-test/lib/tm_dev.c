// SPDX-License-Identifier: GPL-2.0
/*
 * tm_dev: the test_mirror device: its render node, one wrapper per ioctl,
 * names of events and actions, module parameters, and the test-only forms
 * of these. See tm_dev.h.
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/sync_file.h>
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

int tm_submit(int fd, struct drm_test_mirror_submit *job)
{
	return tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_SUBMIT, job);
}

int tm_wait_ufence(int fd, const volatile void *addr, uint64_t value,
		   int64_t timeout_ns)
{
	struct drm_test_mirror_wait_ufence w = {
		.addr = (uintptr_t)addr,
		.value = value,
		.timeout_ns = timeout_ns,
	};

	return tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_WAIT_UFENCE, &w);
}

/* ------------------------------------------------------------------------ */
/* Syncobjs and fences                                                       */
/* ------------------------------------------------------------------------ */

/* libdrm's syncobj calls return -1 with errno or -errno: 0 or -errno. */
static int tm_drm_ret(int ret)
{
	if (ret == -1)
		return -errno;
	return ret < 0 ? ret : 0;
}

int tm_syncobj_new(int fd, bool signaled, uint32_t *handle)
{
	return tm_drm_ret(drmSyncobjCreate(fd, signaled ?
					   DRM_SYNCOBJ_CREATE_SIGNALED : 0,
					   handle));
}

int tm_fence_export(int fd, uint32_t syncobj)
{
	int sf = -1, ret;

	ret = tm_drm_ret(drmSyncobjExportSyncFile(fd, syncobj, &sf));
	if (ret)
		return ret;
	if (fcntl(sf, F_SETFD, FD_CLOEXEC)) {
		ret = -errno;
		close(sf);
		return ret;
	}
	return sf;
}

int tm_fence_status(int fd, uint32_t syncobj, int sync_file,
		    unsigned int wait_ms, int *status)
{
	struct sync_file_info info;
	int sf = sync_file, ret = 0;

	if (fd >= 0) {
		sf = tm_fence_export(fd, syncobj);
		if (sf < 0)
			return sf;
	}
	if (wait_ms) {
		struct pollfd pfd = { .fd = sf, .events = POLLIN };
		uint64_t end = tm_now_ms() + wait_ms;
		int64_t left;

		/* a signal may cut poll() short: wait out the rest */
		while ((left = (int64_t)(end - tm_now_ms())) > 0 &&
		       poll(&pfd, 1, (int)left) < 0 && errno == EINTR)
			;
	}
	memset(&info, 0, sizeof(info));
	if (ioctl(sf, SYNC_IOC_FILE_INFO, &info))
		ret = -errno;
	else
		*status = info.status;
	if (fd >= 0)
		close(sf);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Names                                                                     */
/* ------------------------------------------------------------------------ */

static const char * const tm_event_names[] = {
	[TEST_MIRROR_EVENT_UNMAP]		= "UNMAP",
	[TEST_MIRROR_EVENT_CLEAR]		= "CLEAR",
	[TEST_MIRROR_EVENT_PROTECTION_VMA]	= "PROTECTION_VMA",
	[TEST_MIRROR_EVENT_PROTECTION_PAGE]	= "PROTECTION_PAGE",
	[TEST_MIRROR_EVENT_SOFT_DIRTY]		= "SOFT_DIRTY",
	[TEST_MIRROR_EVENT_RELEASE]		= "RELEASE",
	[TEST_MIRROR_EVENT_MIGRATE]		= "MIGRATE",
	[TEST_MIRROR_EVENT_EXCLUSIVE]		= "EXCLUSIVE",
};

static const char * const tm_action_names[] = {
	[TEST_MIRROR_ACTION_NONE]	= "NONE",
	[TEST_MIRROR_ACTION_INVALIDATE]	= "INVALIDATE",
	[TEST_MIRROR_ACTION_DOWNGRADE]	= "DOWNGRADE",
	[TEST_MIRROR_ACTION_DROP]	= "DROP",
	[TEST_MIRROR_ACTION_RELEASE]	= "RELEASE",
	[TEST_MIRROR_ACTION_SKIP]	= "SKIP",
	[TEST_MIRROR_ACTION_BUSY]	= "BUSY",
};

#define TM_NNAMES(a)	(sizeof(a) / sizeof((a)[0]))

static const char *tm_name_of(unsigned int v, const char * const *names,
			      unsigned int n)
{
	return v < n && names[v] ? names[v] : "?";
}

const char *tm_event_name(unsigned int event)
{
	return tm_name_of(event, tm_event_names, TM_NNAMES(tm_event_names));
}

const char *tm_action_name(unsigned int action)
{
	return tm_name_of(action, tm_action_names, TM_NNAMES(tm_action_names));
}

static int tm_name_value(const char *name, const char * const *names,
			 unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (names[i] && !strcasecmp(name, names[i]))
			return (int)i;
	return -1;
}

int tm_event_value(const char *name)
{
	return tm_name_value(name, tm_event_names, TM_NNAMES(tm_event_names));
}

int tm_action_value(const char *name)
{
	return tm_name_value(name, tm_action_names,
			     TM_NNAMES(tm_action_names));
}

/* ------------------------------------------------------------------------ */
/* Module parameters                                                         */
/* ------------------------------------------------------------------------ */

int tm_param_get(const char *name, uint64_t *val)
{
	char path[256], buf[64];
	int ret;

	snprintf(path, sizeof(path), TM_PARAM_DIR "%s", name);
	ret = tm_read_str(path, buf, sizeof(buf));
	if (ret)
		return ret;
	if (!buf[0])
		return -EIO;
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
	char path[256];

	snprintf(path, sizeof(path), TM_PARAM_DIR "%s", name);
	return tm_write_str(path, val);
}

bool tm_module_loaded(void)
{
	return !access("/sys/module/test_mirror/initstate", F_OK);
}

/* ------------------------------------------------------------------------ */
/* The test_hmm-compatible front-end                                         */
/* ------------------------------------------------------------------------ */

int tm_hmm_enable(void)
{
	uint64_t v;
	int ret, i;

	if (!access("/dev/hmm_dmirror0", F_OK))
		return 0;
	ret = tm_param_get("hmm_compat", &v);
	if (ret)
		return ret;
	ret = tm_param_set("hmm_compat", "1");
	if (ret)
		return ret;
	/* devtmpfs makes the nodes as the devices register */
	for (i = 0; i < 100 && access("/dev/hmm_dmirror1", F_OK); i++)
		usleep(10000);
	return 1;
}

int tm_hmm_open(unsigned int unit)
{
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "/dev/hmm_dmirror%u", unit);
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* ------------------------------------------------------------------------ */
/* Test-only forms                                                           */
/* ------------------------------------------------------------------------ */

int tm_must_open_at(const char *file, int line)
{
	int fd = tm_open();

	if (fd < 0)
		tm_fail(file, line, "cannot open the test_mirror device: %s",
			tm_errname(fd));
	return fd;
}

int tm_must_open_param_at(const char *name, const char *val,
			  const char *file, int line)
{
	char old[32];
	uint64_t v;
	int ret, f;

	ret = tm_param_get(name, &v);
	if (ret)
		tm_skip("no module parameter %s: %s", name, tm_errname(ret));
	ret = tm_param_set(name, val);
	if (ret)
		tm_skip("cannot set %s=%s: %s", name, val, tm_errname(ret));
	f = tm_open();
	/* booleans read back as 0/1, which they also accept */
	snprintf(old, sizeof(old), "%llu", (unsigned long long)v);
	ret = tm_param_set(name, old);
	if (f < 0)
		tm_fail(file, line, "open with %s=%s: %s", name, val,
			tm_errname(f));
	if (ret)
		tm_fail(file, line, "cannot restore %s=%s: %s", name, old,
			tm_errname(ret));
	return f;
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

uint32_t tm_must_syncobj_at(int fd, bool signaled, const char *file, int line)
{
	uint32_t h = 0;
	int ret = tm_syncobj_new(fd, signaled, &h);

	if (ret)
		tm_fail(file, line, "syncobj create: %s", tm_errname(ret));
	if (!h)
		tm_fail(file, line, "syncobj create returned handle 0");
	return h;
}

int tm_must_fence_at(int fd, uint32_t syncobj, int sync_file,
		     unsigned int ms, const char *file, int line)
{
	int st = 0, ret;

	ret = tm_fence_status(fd, syncobj, sync_file, ms * tm_timeout_scale(),
			      &st);
	if (ret)
		tm_fail(file, line, "fence of syncobj %u: %s", syncobj,
			tm_errname(ret));
	if (!st)
		tm_fail(file, line,
			"fence of syncobj %u did not signal within %u ms",
			syncobj, ms * tm_timeout_scale());
	return st;
}

void tm_must_stats_at(int fd, struct drm_test_mirror_stats *st,
		      const char *file, int line)
{
	int ret = tm_stats(fd, st, false);

	if (ret)
		tm_fail(file, line, "stats: %s", tm_errname(ret));
}

struct drm_test_mirror_stats tm_stats_get_at(int fd, const char *file,
					     int line)
{
	struct drm_test_mirror_stats st;

	tm_must_stats_at(fd, &st, file, line);
	return st;
}

void tm_must_round_trip_at(int fd, const char *file, int line)
{
	const size_t n = 4;
	uint8_t *p = tm_must_map_pattern_at(n, 0x7777, file, line);
	uint8_t *b = tm_must_map_at(n, PROT_READ | PROT_WRITE, file, line);
	uint32_t h = tm_must_bind_at(fd, p, SZ(n), RW, file, line);
	int ret;

	ret = tm_read(fd, p, SZ(n), b, NULL);
	if (ret)
		tm_fail(file, line, "round trip: device read: %s",
			tm_errname(ret));
	if (tm_check(b, SZ(n), 0x7777) >= 0)
		tm_fail(file, line, "round trip: the device read other data");
	tm_fill(b, SZ(n), 0x7778);
	ret = tm_write(fd, p, SZ(n), b, NULL);
	if (ret)
		tm_fail(file, line, "round trip: device write: %s",
			tm_errname(ret));
	if (tm_check(p, SZ(n), 0x7778) >= 0)
		tm_fail(file, line, "round trip: the CPU does not see the device's write");
	ret = tm_unbind(fd, h);
	if (ret)
		tm_fail(file, line, "round trip: unbind: %s", tm_errname(ret));
	ret = tm_unmap(p, n);
	if (ret)
		tm_fail(file, line, "round trip: munmap: %s", tm_errname(ret));
	tm_unmap(b, n);
}

#define TM_MAX_PARAMS	4

void tm_with_params_at(unsigned int n, const char *const *names,
		       const char *const *vals, void (*fn)(int),
		       const char *file, int line)
{
	char old[TM_MAX_PARAMS][64], c = 0;
	int p1[2], p2[2], st, r = 0;
	unsigned int i, set;
	uint64_t v;
	pid_t pid;

	if (n < 1 || n > TM_MAX_PARAMS)
		tm_fail(file, line, "%u parameters (1 to %u)", n,
			TM_MAX_PARAMS);
	for (i = 0; i < n; i++) {
		if (tm_param_get(names[i], &v))
			tm_skip("no parameter %s", names[i]);
		snprintf(old[i], sizeof(old[i]), "%llu", (unsigned long long)v);
	}
	if (pipe(p1) || pipe(p2))
		tm_fail(file, line, "pipe: %s", tm_errname(errno));
	pid = tm_fork();
	if (!pid) {
		int before = tm_must_open_at(file, line);

		if (write(p1[1], "o", 1) != 1 || read(p2[0], &c, 1) != 1)
			_exit(40);
		if (c != 'g')
			_exit(0);
		fn(before);
		_exit(0);
	}
	if (read(p1[0], &c, 1) != 1)
		tm_fail(file, line, "child did not open its file");
	for (set = 0; set < n; set++) {
		r = tm_param_set(names[set], vals[set]);
		if (r)
			break;
	}
	if (r) {
		if (write(p2[1], "s", 1) != 1)
			tm_fail(file, line, "pipe: %s", tm_errname(errno));
		tm_wait_bounded_at(pid, 30000, names[set], file, line);
		for (i = 0; i < set; i++)
			if (tm_param_set(names[i], old[i]))
				tm_fail(file, line,
					"could not restore %s=%s after %s was refused",
					names[i], old[i], names[set]);
		tm_skip("cannot set %s: %s", names[set], tm_errname(r));
	}
	if (write(p2[1], "g", 1) != 1)
		tm_fail(file, line, "pipe: %s", tm_errname(errno));
	st = tm_wait_bounded_at(pid, 120000, names[0], file, line);
	/* restore them all before failing for any */
	for (i = 0, set = n; i < n; i++) {
		int e = tm_param_set(names[i], old[i]);

		if (e && set == n) {
			set = i;
			r = e;
		}
	}
	if (set < n)
		tm_fail(file, line, "could not restore %s=%s: %s", names[set],
			old[set], tm_errname(r));
	tm_must_exit0_at(st, names[0], file, line);
}
