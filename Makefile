# postbox: one static binary, many applets (see README.md).
#
#   make                   build ./postbox from .config (from configs/defconfig when absent)
#   make check             build and run every test; ends with "N passed, N failed"
#   make run               build and run the mail system on loopback with a demo user
#   make defconfig | allnoconfig | allyesconfig | olddefconfig | menuconfig
#   make savedefconfig | NAME_defconfig
#   make size | bloatcheck | install DESTDIR= PREFIX= [MANDIR=] | man | clean | distclean
#
# Embedded builds: CROSS_COMPILE=, CC=, BEARSSL_DIR=, CDB_DIR=, XCRYPT_DIR=,
# ZLIB_DIR= (each DIR holding include/ and lib/) are honoured, and then
# nothing is fetched.
# BUILD= and CONFIG= select a build folder and a .config (the test of the
# configuration matrix builds several side by side).

BUILD ?= build
CONFIG ?= .config
OUT ?= postbox
PREFIX ?= /usr
DESTDIR ?=
MANDIR ?= $(PREFIX)/share/man
CROSS_COMPILE ?=

ifeq ($(origin CC),default)
  ifneq ($(CROSS_COMPILE),)
    CC = $(CROSS_COMPILE)gcc
  else
    CC = musl-gcc
  endif
endif
ifeq ($(origin AR),default)
  AR = $(CROSS_COMPILE)ar
endif
STRIP ?= $(CROSS_COMPILE)strip
PYTHON ?= /usr/bin/python3

OPTFLAGS ?= -Os
CFLAGS_BASE := $(OPTFLAGS) -std=gnu11 -ffunction-sections -fdata-sections \
	-fno-asynchronous-unwind-tables -fno-unwind-tables \
	-Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers
CFLAGS ?=
LDFLAGS ?=

# Third-party libraries: prebuilt when the caller says where, else built
# from Debian's source packages by scripts/deps.sh into build/deps.
# libxcrypt is built with the configuration's hash methods
# (CONFIG_XCRYPT_HASHES) into build/deps/xcrypt-METHODS.
DEPS := build/deps
comma := ,
XCRYPT_HASHES := $(shell sed -n 's/^CONFIG_XCRYPT_HASHES="\(.*\)"$$/\1/p' $(CONFIG) 2>/dev/null)
ifeq ($(XCRYPT_HASHES),)
  XCRYPT_HASHES := yescrypt,sha512crypt,sha256crypt,md5crypt,bcrypt,bcrypt_a,bcrypt_y
endif
XDEPS := $(DEPS)/xcrypt-$(subst $(comma),-,$(XCRYPT_HASHES))
# zlib (imapd's COMPRESS=DEFLATE) only when CONFIG_IMAPD_COMPRESS is on
# (as in defconfig, which a missing .config becomes), into build/deps/zlib.
ZLIB := $(shell [ ! -f $(CONFIG) ] || grep -qx 'CONFIG_IMAPD_COMPRESS=y' $(CONFIG) && echo 1)
ZDEPS := $(DEPS)/zlib
ifneq ($(BEARSSL_DIR)$(CDB_DIR)$(XCRYPT_DIR),)
  BEARSSL_DIR ?= $(DEPS)
  CDB_DIR ?= $(DEPS)
  XCRYPT_DIR ?= $(XDEPS)
endif
BEARSSL_DIR ?= $(DEPS)
CDB_DIR ?= $(DEPS)
XCRYPT_DIR ?= $(XDEPS)
ZLIB_DIR ?= $(ZDEPS)
DEPFLAGS := $(sort -I$(BEARSSL_DIR)/include -I$(CDB_DIR)/include) \
	-I$(XCRYPT_DIR)/include $(if $(ZLIB),-I$(ZLIB_DIR)/include)
DEPLIBS := $(sort -L$(BEARSSL_DIR)/lib -L$(CDB_DIR)/lib) \
	-L$(XCRYPT_DIR)/lib $(if $(ZLIB),-L$(ZLIB_DIR)/lib) \
	-lbearssl -lcdb -lcrypt $(if $(ZLIB),-lz)
# The libraries' flags: no unwind tables (C only, nothing unwinds; they
# were 12 KB of .eh_frame in BearSSL).  The stamps record the flags, and
# scripts/deps.sh runs again when they differ.
DEPS_CFLAGS := -Os -ffunction-sections -fdata-sections \
	-fno-asynchronous-unwind-tables -fno-unwind-tables
ifeq ($(BEARSSL_DIR)$(CDB_DIR)$(XCRYPT_DIR)$(if $(ZLIB),$(ZLIB_DIR)),$(DEPS)$(DEPS)$(XDEPS)$(if $(ZLIB),$(ZDEPS)))
  DEPSTAMP := $(XDEPS)/stamp $(if $(ZLIB),$(ZDEPS)/stamp)
  ifneq ($(shell cut -d'|' -f3 $(DEPS)/stamp $(DEPSTAMP) 2>/dev/null | sort -u),$(DEPS_CFLAGS))
    $(DEPSTAMP): FORCE
  endif
endif

LIB_SRCS := $(sort $(wildcard libmini/*.c))
APPLET_SRCS := $(sort $(wildcard applets/*.c))
APPLET_EXTRA := $(sort $(wildcard applets/*/*.c))
SRCS := $(LIB_SRCS) $(APPLET_SRCS) $(APPLET_EXTRA)
OBJS := $(SRCS:%.c=$(BUILD)/obj/%.o)
LIB_OBJS := $(filter $(BUILD)/obj/libmini/%,$(OBJS))
GEN := $(BUILD)/gen/config.h $(BUILD)/gen/applets.h $(BUILD)/gen/usage.h
KGEN := build/Kconfig.applets

ALL_CFLAGS = $(CFLAGS_BASE) -I$(BUILD)/gen -Ilibmini $(DEPFLAGS) $(CFLAGS)

.PHONY: all check run size bloatcheck install clean distclean FORCE \
	defconfig allnoconfig allyesconfig olddefconfig menuconfig \
	savedefconfig oldconfig unit deps depflags deplibs bench man
.DEFAULT_GOAL := all

all: $(OUT)

$(OUT): $(BUILD)/postbox.unstripped
	$(STRIP) -s -R .comment -R .note -o $@ $<
	@echo "  built $@: $$(wc -c < $@) bytes"

# -z norelro: only a dynamic loader applies RELRO, and musl's static start
# does not.  It and a small common-page-size put the data right after the
# code in the file, where page alignment cost up to 4 KiB of padding (the
# sizes of README "Size" then move with the code, not in pages).
$(BUILD)/postbox.unstripped: $(OBJS) $(DEPSTAMP)
	$(CC) -static -Wl,--gc-sections -Wl,-z,noseparate-code -Wl,-z,norelro \
		-Wl,-z,common-page-size=64 $(LDFLAGS) -o $@ $(OBJS) $(DEPLIBS)

$(BUILD)/libmini.a: $(LIB_OBJS)
	rm -f $@; $(AR) rcs $@ $(LIB_OBJS)

$(BUILD)/obj/%.o: %.c | $(GEN) $(DEPSTAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# Files taken in by .incbin, which -MMD does not see.
$(BUILD)/obj/applets/m4lite/cfdata.o: configs/cf/cf.m4

# The generated headers: rewritten only when their content changes.
$(GEN) &: $(CONFIG) $(APPLET_SRCS) scripts/gen.sh FORCE
	@sh scripts/gen.sh $(BUILD)/gen $(CONFIG) $(APPLET_SRCS)

$(DEPSTAMP) &:
	sh scripts/deps.sh $(DEPS) "$(CC)" "$(AR)" "$(DEPS_CFLAGS)" \
		"$(XCRYPT_HASHES)" "$(ZLIB)"
deps: $(DEPSTAMP)

# The compiler and linker flags of the libraries, for the test programs.
depflags:
	@echo "$(DEPFLAGS)"
deplibs:
	@echo "$(DEPLIBS)"

# --- configuration (kconfiglib, run with Debian's python) ------------------
$(KGEN): $(APPLET_SRCS) scripts/genkconfig.sh
	@mkdir -p build
	@sh scripts/genkconfig.sh $@ $(APPLET_SRCS)

KCONF = sh scripts/kconfig.sh $(CONFIG)

$(CONFIG):
	@$(MAKE) --no-print-directory defconfig CONFIG=$(CONFIG)

defconfig: $(KGEN)
	$(KCONF) defconfig configs/defconfig
%_defconfig: $(KGEN)
	$(KCONF) defconfig configs/$@
allnoconfig allyesconfig olddefconfig oldconfig alldefconfig: $(KGEN)
	$(KCONF) $@
menuconfig: $(KGEN)
	$(KCONF) menuconfig
savedefconfig: $(KGEN)
	$(KCONF) savedefconfig defconfig

# --- tests, size, install ------------------------------------------------
check:
	@sh tests/run.sh

unit: $(BUILD)/libmini.a
	@sh tests/unit.sh $(BUILD)

run: all
	@sh scripts/run.sh

bench: all
	@/usr/bin/python3 scripts/bench.py $(BENCH)

size:
	@sh scripts/size.sh

BLOAT_CONFIG ?= defconfig
bloatcheck:
	@sh scripts/bloatcheck.sh $(BLOAT_CONFIG)

# The manual pages: postbox(8) and one per applet in the configuration,
# from the applets' //man: and //usage: lines.
man: $(CONFIG)
	@sh scripts/genman.sh $(BUILD)/man $(CONFIG) $(APPLET_SRCS)

install: all man
	sh scripts/install.sh "$(OUT)" "$(DESTDIR)" "$(PREFIX)"
	install -d "$(DESTDIR)$(MANDIR)/man1" "$(DESTDIR)$(MANDIR)/man8"
	for f in $(BUILD)/man/*.[18]; do \
		install -m 0644 "$$f" "$(DESTDIR)$(MANDIR)/man$${f##*.}/" || exit 1; \
	done

clean:
	rm -rf $(BUILD)/obj $(BUILD)/gen $(BUILD)/postbox.unstripped $(BUILD)/libmini.a $(OUT) build/t build/cfg

distclean:
	rm -rf build $(OUT) .config .config.old

FORCE:

-include $(OBJS:.o=.d)

# --- fuzzing (README.md, "Fuzzing") -----------------------------------------
# make fuzz: libFuzzer targets tests/fuzz/*.c into $(BUILD)/fuzz, built by
# clang for glibc with ASan and UBSan; BearSSL and tinycdb are built again
# with clang (the musl ones cannot link), from the same source packages.
FUZZ_CC ?= clang
FUZZ := $(BUILD)/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_XDEPS := $(FUZZ)/deps/xcrypt-$(subst $(comma),-,$(XCRYPT_HASHES))
FUZZ_CFLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE= -Wall -Wno-unused-parameter \
	-Wno-sign-compare -Wno-missing-field-initializers $(FUZZ_SAN) \
	-fsanitize=fuzzer-no-link -I$(BUILD)/gen -Ilibmini -I$(FUZZ)/deps/include \
	-I$(FUZZ_XDEPS)/include
FUZZ_SRCS := $(filter-out libmini/appletlib.c,$(LIB_SRCS)) applets/smtpd.c \
	applets/smtpd/data.c applets/smtpd/access.c applets/smtpd/agent.c \
	applets/smtpd/daemon.c \
	applets/m4lite.c $(wildcard applets/m4lite/*.c)
FUZZ_OBJS := $(FUZZ_SRCS:%.c=$(FUZZ)/obj/%.o)
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(FUZZ)/%,$(wildcard tests/fuzz/*.c))

.PHONY: fuzz
fuzz: $(FUZZ_TARGETS)

$(FUZZ)/deps/stamp $(FUZZ_XDEPS)/stamp:
	mkdir -p $(FUZZ)/deps/src
	if [ -d $(DEPS)/src ]; then cp -p $(DEPS)/src/* $(FUZZ)/deps/src/; fi
	sh scripts/deps.sh $(FUZZ)/deps $(FUZZ_CC) ar "-g -O1" "$(XCRYPT_HASHES)"

$(FUZZ)/obj/%.o: %.c | $(GEN) $(FUZZ)/deps/stamp $(FUZZ_XDEPS)/stamp
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ)/obj/applets/m4lite/cfdata.o: configs/cf/cf.m4

$(FUZZ)/libmini.a: $(FUZZ_OBJS)
	rm -f $@; ar rcs $@ $(FUZZ_OBJS)

# Wrapped for m4 (tests/fuzz/fuzz.h, m4.c): fork, exit, mkstemp, fopen,
# and m4_lookup, which bounds a run, and the allocator, which frees it.
$(FUZZ)/m4: FUZZ_WRAP := -Wl,--wrap=m4_lookup,--wrap=malloc,--wrap=calloc \
	-Wl,--wrap=realloc,--wrap=free
# The smtpd target feeds the client's turns when the session polls.
$(FUZZ)/smtpd: FUZZ_WRAP := -Wl,--wrap=poll
# pop3d's session is static: its target includes applets/pop3d.c.
$(FUZZ)/pop3d: applets/pop3d.c
$(FUZZ)/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(FUZZ)/libmini.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer \
		-Wl,--wrap=fork,--wrap=exit,--wrap=mkstemp,--wrap=fopen \
		$(FUZZ_WRAP) -o $@ $< $(FUZZ)/libmini.a \
		-L$(FUZZ)/deps/lib -L$(FUZZ_XDEPS)/lib -lbearssl -lcdb -lcrypt

-include $(FUZZ_OBJS:.o=.d)
