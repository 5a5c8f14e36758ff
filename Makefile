# SPDX-License-Identifier: GPL-2.0
#
# test_mirror: top-level Makefile.
#
#   make                 module for KDIR (default: Debian 12's 6.1 headers) + test programs
#   make demo            boot a real kernel under qemu and run the demo
#   make check           install what is missing, then the whole suite on every kernel
#   make check KERNELS=6.1
#   make bench           benchmarks on 6.1 and 6.12 (BENCH_KERNELS=6.1 for one), build/bench/
#
# Each kernel is built in its own directory, build/<kernel release>/, which
# holds links to the sources, so several kernels never share object files.

SHELL      := /bin/bash
TOP        := $(CURDIR)
BUILD      := $(TOP)/build
KERNELS    ?= 6.1 6.12

# The headers to build against: the newest installed Debian 6.1 headers,
# unless KDIR is given.
KDIR       ?= $(shell $(TOP)/scripts/kernels.sh kdir 6.1 2>/dev/null)
KREL        = $(notdir $(patsubst %/,%,$(KDIR:/build=)))
KREL_DIR    = $(BUILD)/$(patsubst linux-headers-%,%,$(KREL))

DRIVER_SRC := $(wildcard $(TOP)/driver/*.c $(TOP)/driver/*.h)

CC         ?= gcc
US_DIR     := $(BUILD)/userspace
US_CFLAGS  := -O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
	      -I$(TOP)/uapi -I$(TOP)/userspace-test \
	      $(shell pkg-config --cflags libdrm 2>/dev/null)
US_LDFLAGS := -static -pthread
US_LIBS    := $(shell pkg-config --static --libs libdrm 2>/dev/null)
US_LIB_SRC := $(TOP)/userspace-test/tm_lib.c
US_HDRS    := $(wildcard $(TOP)/userspace-test/*.h) $(wildcard $(TOP)/uapi/*/*.h)
US_PROGS   := $(patsubst $(TOP)/userspace-test/%.c,$(US_DIR)/%, \
	      $(filter-out $(US_LIB_SRC),$(wildcard $(TOP)/userspace-test/*.c)))

.PHONY: all module userspace clean check demo bench
all: module userspace

module:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || \
		{ echo "KDIR not found: run scripts/deps.sh or pass KDIR=" >&2; exit 1; }
	@mkdir -p $(KREL_DIR)/driver
	@ln -sf $(TOP)/Kbuild $(KREL_DIR)/Kbuild
	@for f in $(DRIVER_SRC); do ln -sf $$f $(KREL_DIR)/driver/; done
	@find $(KREL_DIR)/driver -xtype l -delete
	$(MAKE) -C $(KDIR) M=$(KREL_DIR) TM_SRC=$(TOP) $(if $(W),W=$(W)) $(if $(C),C=$(C)) modules

userspace: $(US_PROGS) $(US_DIR)/hmm-tests $(US_DIR)/tm_kunit

# The guest's runner of the KUnit suites (test_mirror_kunit.ko).
$(US_DIR)/tm_kunit: $(TOP)/scripts/guest-kunit.sh
	@mkdir -p $(US_DIR)
	install -m 0755 $< $@

# The kernel's own hmm-tests (Linux 6.1, from Debian's linux-source-6.1),
# built unmodified, and hmm-tests-run, which runs and judges it in the guest.
$(US_DIR)/hmm-tests: $(TOP)/scripts/build-hmm-tests.sh \
		     $(TOP)/scripts/hmm-tests-check.sh \
		     $(TOP)/scripts/hmm-tests-expect.txt
	$(TOP)/scripts/build-hmm-tests.sh $(US_DIR)

$(US_DIR)/%: $(TOP)/userspace-test/%.c $(US_LIB_SRC) $(US_HDRS)
	@mkdir -p $(US_DIR)
	$(CC) $(US_CFLAGS) -o $@ $< $(US_LIB_SRC) $(US_LDFLAGS) $(US_LIBS)

check:
	TM_SERIES="$(KERNELS)" $(TOP)/scripts/deps.sh
	$(TOP)/scripts/check.sh $(KERNELS)

demo:
	TM_SERIES="6.1" $(TOP)/scripts/deps.sh
	$(TOP)/scripts/demo.sh $(ARGS)

# Benchmarks (issue 5): results, plots and doc section in build/bench/.
BENCH_KERNELS ?= 6.1 6.12
bench:
	TM_SERIES="$(BENCH_KERNELS)" $(TOP)/scripts/deps.sh
	$(TOP)/scripts/bench.sh $(BENCH_KERNELS)

clean:
	rm -rf $(BUILD)

# --- debug-kernel lane (issue 6, part 5) ------------------------------------
# make check-debug: the whole suite on a debug build of Debian's
# linux-source-6.1 (KASAN, lockdep, DEBUG_VM, DEBUG_ATOMIC_SLEEP, kmemleak,
# debug objects: scripts/debug-kernel.config), built once per machine and
# cached in /var/cache/test_mirror/debug-kernel/ (scripts/check-debug.sh).
.PHONY: check-debug
check-debug:
	TM_SERIES="6.1" $(TOP)/scripts/deps.sh
	$(TOP)/scripts/check-debug.sh

# --- lint, docs, install (issue 7) -------------------------------------------
# make lint     scripts/lint.sh on $(KERNELS): checkpatch --strict (warnings
#               accepted only as listed in scripts/checkpatch-accepted.txt),
#               W=1 and sparse C=2 builds, kernel-doc, the docs render; KTAP.
# make docs     Documentation.rst -> build/docs/Documentation.html
#               (python3-docutils; any warning fails).
# make install  the module built for KDIR into
#               $(DESTDIR)/lib/modules/<release>/$(INSTALL_MOD_DIR)/ with
#               kbuild's modules_install, then depmod (not when staging
#               into a DESTDIR); the uAPI header into
#               $(DESTDIR)/usr/include/drm/. Debian's kernels sign modules
#               with a key their headers do not ship: kbuild's sign-file
#               then fails without stopping the install (unsigned module).
# make dkms-src  the sources DKMS needs (Makefile, Kbuild, dkms.conf,
#               driver/, uapi/) into $(DESTDIR)/usr/src/test_mirror-<version>/,
#               then: dkms add test_mirror/<version>; dkms build ...; dkms
#               install ... ("dkms add ." would copy build/ too).
# make nonotifier-build  scripts/nonotifier-build.sh: the build against
#               linux-source-6.1 trees without/with MMU_NOTIFIER, HMM_MIRROR.
.PHONY: lint docs install dkms-src nonotifier-build
INSTALL_MOD_DIR ?= updates
DEPMOD          ?= /sbin/depmod
# The release the module is built for (its vermagic), from the headers'
# utsrelease.h: Debian's 6.1 headers have 6.1.192 in kernel.release, which
# is not their /lib/modules name (6.1.0-NN-amd64).
INSTALL_KREL     = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' \
		   $(KDIR)/include/generated/utsrelease.h 2>/dev/null)

lint:
	TM_SERIES="$(KERNELS)" $(TOP)/scripts/deps.sh
	$(TOP)/scripts/lint.sh $(KERNELS)

docs:
	$(TOP)/scripts/docs.sh

install: module
	@test -n "$(INSTALL_KREL)" || \
		{ echo "no UTS_RELEASE in $(KDIR)/include/generated/utsrelease.h" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(KREL_DIR) KERNELRELEASE=$(INSTALL_KREL) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	$(if $(DESTDIR),@echo "DESTDIR is set: run depmod -a $(INSTALL_KREL) on the target", \
		$(DEPMOD) -a $(INSTALL_KREL))
	install -D -m 0644 $(TOP)/uapi/drm/test_mirror_drm.h \
		$(DESTDIR)/usr/include/drm/test_mirror_drm.h
	install -D -m 0644 $(TOP)/uapi/misc/test_mirror_hmm.h \
		$(DESTDIR)/usr/include/misc/test_mirror_hmm.h

DKMS_VERSION     = $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' $(TOP)/dkms.conf)
DKMS_SRC         = $(DESTDIR)/usr/src/test_mirror-$(DKMS_VERSION)

dkms-src:
	@test -n "$(DKMS_VERSION)" || { echo "no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
	rm -rf $(DKMS_SRC)
	mkdir -p $(DKMS_SRC)
	cp -R $(TOP)/Makefile $(TOP)/Kbuild $(TOP)/dkms.conf $(TOP)/driver $(TOP)/uapi \
		$(DKMS_SRC)/

nonotifier-build:
	$(TOP)/scripts/nonotifier-build.sh

# --- reliability (issue 6, parts 1-4) -----------------------------------------
# make fuzz: ~1,000,000 oracle-checked ioctl calls per kernel (TM_FUZZ_CALLS,
# TM_FUZZ_SEED); make stress: 10 minutes of race stress per kernel
# (TM_STRESS_SECONDS); make lifecycle: 100 OOM kills + 1000 unload/load cycles.
.PHONY: fuzz stress lifecycle
fuzz:
	TM_SERIES="$(KERNELS)" $(TOP)/scripts/deps.sh
	$(TOP)/scripts/fuzz.sh $(KERNELS)

stress:
	TM_SERIES="$(KERNELS)" $(TOP)/scripts/deps.sh
	$(TOP)/scripts/stress.sh $(KERNELS)

lifecycle:
	TM_SERIES="$(KERNELS)" $(TOP)/scripts/deps.sh
	$(TOP)/scripts/lifecycle.sh $(KERNELS)
