# SPDX-License-Identifier: GPL-2.0
#
# test_mirror: top-level Makefile.
#
#   make                 the module for KDIR (default: Debian 12's 6.1 headers)
#                        and the test programs
#   make deps            install what everything below needs (Debian 12, as
#                        root; scripts/deps.sh); demo and check run it first,
#                        nothing else installs packages
#   make demo            boot Debian's 6.1 kernel under qemu and run the demo
#   make check           the host checks, then the whole suite on every kernel
#                        of KERNELS (default 6.1 6.12 7.3; KERNELS=6.1 for
#                        one); 7.3 is built in a trixie build root (deps.sh)
#   make check-debug     the suite on a KASAN/lockdep/kmemleak/KUnit kernel
#                        built from linux-source-7.3 (cached per machine)
#   make lint            checkpatch --strict, W=1, sparse, kernel-doc, docs
#   make docs            Documentation.rst, with the sources' kernel-doc, as HTML
#   make bench           benchmarks, ratios measured in one boot per kernel;
#                        writes RESULTS.rst
#   make bench-peer      the kernel's lib/test_hmm against test_mirror, one
#                        boot of 7.3; writes the peer part of RESULTS.rst
#   make fuzz / stress / lifecycle   the long reliability runs, per kernel
#   make install / dkms-src / nonotifier-build / clean
#
# Every kernel is built in its own directory, build/<kernel release>/, which
# holds links to the sources (scripts/build-module.sh).

SHELL      := /bin/bash
TOP        := $(CURDIR)
BUILD      := $(TOP)/build
KERNELS    ?= 6.1 6.12 7.3
export TM_SERIES = $(KERNELS)

# The headers to build against: the newest installed Debian 6.1 headers,
# unless KDIR is given.
KDIR       ?= $(shell $(TOP)/scripts/kernels.sh kdir 6.1 2>/dev/null)

CC         ?= gcc
AR         ?= ar
US_DIR     := $(BUILD)/userspace
US_SRC     := $(TOP)/userspace-test
US_CFLAGS  := -O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
	      -I$(TOP)/uapi -I$(US_SRC)/lib \
	      $(shell pkg-config --cflags libdrm 2>/dev/null)
US_LDFLAGS := -static -pthread
US_LIBS    := $(shell pkg-config --static --libs libdrm 2>/dev/null)
# The shared library of the test programs (userspace-test/lib/), built once.
US_LIB     := $(US_DIR)/libtm.a
US_LIB_OBJ := $(patsubst $(US_SRC)/lib/%.c,$(US_DIR)/lib/%.o, \
	      $(wildcard $(US_SRC)/lib/*.c))
US_HDRS    := $(wildcard $(US_SRC)/lib/*.h) $(wildcard $(TOP)/uapi/*/*.h)
# A program is userspace-test/<prog>.c, or a directory userspace-test/<prog>/
# of .c files (and its own headers); either builds build/userspace/<prog>.
US_DIRPROG := $(filter-out lib,$(notdir $(patsubst %/,%, \
	      $(sort $(dir $(wildcard $(US_SRC)/*/*.c))))))
US_PROGS   := $(patsubst $(US_SRC)/%.c,$(US_DIR)/%,$(wildcard $(US_SRC)/*.c)) \
	      $(addprefix $(US_DIR)/,$(US_DIRPROG))

.PHONY: all module modules userspace deps demo check check-debug lint docs \
	bench bench-peer bench-peer-profile fuzz stress lifecycle install \
	dkms-src nonotifier-build clean
all: module userspace

module:
	$(TOP)/scripts/build-module.sh "$(KDIR)" "" $(if $(W),W=$(W)) $(if $(C),C=$(C))

# The module for every kernel of KERNELS; for a kernel with device-private
# memory (7.3), also the kernel's own lib/test_hmm.ko, unmodified, which the
# suite's hmm-tests-peer compares test_mirror with.
modules:
	@set -e; for s in $(KERNELS); do \
		kdir=$$($(TOP)/scripts/kernels.sh kdir $$s); \
		echo "build-module.sh $$kdir"; \
		$(TOP)/scripts/build-module.sh "$$kdir" >/dev/null; \
		if grep -q '^CONFIG_DEVICE_PRIVATE=y' "$$kdir/.config"; then \
			echo "build-test-hmm.sh $$s"; \
			$(TOP)/scripts/build-test-hmm.sh $$s >/dev/null; \
		fi; \
	done

# The kernel's own hmm-tests of 7.3 (hmm-tests-peer) where 7.3 is tested.
HMM_PEER   := $(filter 7.3,$(KERNELS))

userspace: $(US_PROGS) $(US_DIR)/hmm-tests $(US_DIR)/tm_kunit $(US_DIR)/tm_profile \
	   $(addprefix $(US_DIR)/hmm-tests-,$(HMM_PEER))

# The kernel's own hmm-tests (Linux 6.1, from Debian's linux-source-6.1),
# built unmodified, and hmm-tests-run, which runs and judges it in the guest.
$(US_DIR)/hmm-tests: $(TOP)/scripts/build-hmm-tests.sh \
		     $(TOP)/scripts/hmm-tests-check.sh \
		     $(TOP)/scripts/hmm-tests-expect.txt
	$(TOP)/scripts/build-hmm-tests.sh $(US_DIR)

# 7.3's hmm-tests, built unmodified in the build root against 7.3's uAPI
# headers, and hmm-tests-peer, which runs it against lib/test_hmm and
# test_mirror in the guest and compares.
$(US_DIR)/hmm-tests-7.3: $(TOP)/scripts/build-hmm-tests.sh \
			 $(TOP)/scripts/hmm-tests-check.sh
	$(TOP)/scripts/build-hmm-tests.sh --peer 7.3 $(US_DIR)

# The guest's runner of the KUnit suites (test_mirror_kunit.ko).
$(US_DIR)/tm_kunit: $(TOP)/scripts/guest-kunit.sh
	@mkdir -p $(US_DIR)
	install -m 0755 $< $@

# The guest's ftrace profiler (function_graph; TCG has no PMU for perf).
$(US_DIR)/tm_profile: $(TOP)/scripts/guest-profile.sh
	@mkdir -p $(US_DIR)
	install -m 0755 $< $@

$(US_DIR)/lib/%.o: $(US_SRC)/lib/%.c $(US_HDRS)
	@mkdir -p $(US_DIR)/lib
	$(CC) $(US_CFLAGS) -c -o $@ $<

$(US_LIB): $(US_LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(US_DIR)/%: $(US_SRC)/%.c $(US_LIB) $(US_HDRS)
	@mkdir -p $(US_DIR)
	$(CC) $(US_CFLAGS) -o $@ $< $(US_LIB) $(US_LDFLAGS) $(US_LIBS)

# us_dirprog NAME: the rule of a program made of userspace-test/NAME/*.c
define us_dirprog
$(US_DIR)/$(1): $(wildcard $(US_SRC)/$(1)/*.c $(US_SRC)/$(1)/*.h) $(US_LIB) $(US_HDRS)
	@mkdir -p $(US_DIR)
	$(CC) $(US_CFLAGS) -I$(US_SRC)/$(1) -o $$@ \
		$(wildcard $(US_SRC)/$(1)/*.c) $(US_LIB) $(US_LDFLAGS) $(US_LIBS)
endef
$(foreach p,$(US_DIRPROG),$(eval $(call us_dirprog,$(p))))

deps:
	$(TOP)/scripts/deps.sh

# README's two commands: everything installed first, everything built, then
# the scripts only run (TM_SKIP_BUILD: they do not build again).
# TM_DEMO_KERNEL=6.12 shows the other kernel.
demo: KERNELS = $(or $(TM_DEMO_KERNEL),6.1)
demo: deps
	$(MAKE) --no-print-directory modules userspace KERNELS="$(KERNELS)"
	TM_SKIP_BUILD=1 $(TOP)/scripts/vm-run.sh $(KERNELS) demo $(ARGS)

check: deps
	$(MAKE) --no-print-directory modules userspace KERNELS="$(KERNELS)"
	TM_SKIP_BUILD=1 $(TOP)/scripts/check.sh $(KERNELS)

check-debug:
	$(TOP)/scripts/check-debug.sh

lint:
	$(TOP)/scripts/lint.sh $(KERNELS)

docs:
	$(TOP)/scripts/docs.sh

# BENCH_KERNELS=6.1 for one kernel; TM_BENCH_ARGS, TM_BENCH_ICOUNT: bench.sh.
BENCH_KERNELS ?= $(KERNELS)
bench: modules userspace
	TM_SKIP_BUILD=1 $(TOP)/scripts/bench.sh $(BENCH_KERNELS)

# The kernel's own lib/test_hmm (built from linux-source-7.3, unmodified)
# against test_mirror, in one boot of 7.3; writes the peer part of
# RESULTS.rst. bench-peer-profile: the same boot under ftrace instead.
bench-peer:
	$(MAKE) --no-print-directory modules userspace KERNELS=7.3
	TM_SKIP_BUILD=1 $(TOP)/scripts/bench.sh --peer 7.3

bench-peer-profile:
	$(MAKE) --no-print-directory modules userspace KERNELS=7.3
	TM_SKIP_BUILD=1 $(TOP)/scripts/bench.sh --peer --profile 7.3

# The long runs: every call class of the fuzzer with its oracle, the race
# stress, OOM kills and unload/load cycles; each on every kernel, with the
# host's check of the guest log. A failure is reproduced with the same seed.
FUZZ_CALLS      ?= 1000000
FUZZ_SEED       ?= 1
STRESS_SECONDS  ?= 600
STRESS_SEED     ?= 1
LIFE_OOM        ?= 100
LIFE_CYCLES     ?= 1000

fuzz: modules userspace
	TM_SKIP_BUILD=1 TM_TIMEOUT=$${TM_TIMEOUT:-3600} TM_KERNELS="$(KERNELS)" \
		$(TOP)/scripts/each-kernel.sh fuzz --seed $(FUZZ_SEED) --calls $(FUZZ_CALLS)

stress: modules userspace
	TM_SKIP_BUILD=1 TM_TIMEOUT=$${TM_TIMEOUT:-$$(($(STRESS_SECONDS) + 600))} \
		TM_KERNELS="$(KERNELS)" \
		$(TOP)/scripts/each-kernel.sh stress --seconds $(STRESS_SECONDS) --seed $(STRESS_SEED)

lifecycle: modules userspace
	TM_SKIP_BUILD=1 TM_TIMEOUT=$${TM_TIMEOUT:-1800} TM_KERNELS="$(KERNELS)" \
		$(TOP)/scripts/each-kernel.sh cmd \
		"/usr/bin/tm_life --oom $(LIFE_OOM); r=\$$?; /usr/bin/tm_life --cycles $(LIFE_CYCLES) || r=1; exit \$$r"

# make install   the module built for KDIR into
#                $(DESTDIR)/lib/modules/<release>/$(INSTALL_MOD_DIR)/ with
#                kbuild's modules_install, then depmod (not when staging into
#                a DESTDIR); the uAPI headers into $(DESTDIR)/usr/include/.
#                Debian's kernels sign modules with a key their headers do
#                not ship: kbuild's sign-file then fails without stopping the
#                install (unsigned module).
# make dkms-src  the sources DKMS needs (Makefile, Kbuild, dkms.conf,
#                driver/, uapi/, scripts/build-module.sh) into
#                $(DESTDIR)/usr/src/test_mirror-<version>/, then: dkms add
#                test_mirror/<version>; dkms build ...; dkms install ...
# make nonotifier-build  the build against linux-source-6.1 trees without
#                and with MMU_NOTIFIER, HMM_MIRROR.
INSTALL_MOD_DIR ?= updates
DEPMOD          ?= /sbin/depmod
KREL_DIR         = $(BUILD)/$(patsubst linux-headers-%,%,$(notdir $(patsubst %/,%,$(KDIR:/build=))))
# The release the module is built for (its vermagic), from the headers'
# utsrelease.h: Debian's 6.1 headers have 6.1.192 in kernel.release, which
# is not their /lib/modules name (6.1.0-NN-amd64).
INSTALL_KREL     = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' \
		   $(KDIR)/include/generated/utsrelease.h 2>/dev/null)

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
	mkdir -p $(DKMS_SRC)/scripts
	cp -R $(TOP)/Makefile $(TOP)/Kbuild $(TOP)/dkms.conf $(TOP)/driver $(TOP)/uapi \
		$(DKMS_SRC)/
	cp $(TOP)/scripts/build-module.sh $(DKMS_SRC)/scripts/

nonotifier-build:
	$(TOP)/scripts/nonotifier-build.sh

clean:
	rm -rf $(BUILD)
