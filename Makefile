# arcverify - see README.md. `make check` and `make demo` install what they need first (deps).
# GNU conventions: CC, CFLAGS, CPPFLAGS and LDFLAGS from the command line are honoured; the
# project's own flags live in AV_* variables that are always added.
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PKG_CONFIG ?= pkg-config

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
       -Wsign-compare -Wformat=2 -Wno-format-nonliteral
CFLAGS ?= -O2 -g
SSL_CFLAGS := $(shell $(PKG_CONFIG) --cflags openssl 2>/dev/null)
SSL_LIBS := $(shell $(PKG_CONFIG) --libs openssl 2>/dev/null || echo -lssl -lcrypto)
SODIUM_CFLAGS := $(shell $(PKG_CONFIG) --cflags libsodium 2>/dev/null)
SODIUM_LIBS := $(shell $(PKG_CONFIG) --libs libsodium 2>/dev/null || echo -lsodium)
AV_CPPFLAGS = -Iinclude -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L $(SSL_CFLAGS) $(SODIUM_CFLAGS)
AV_CFLAGS = -std=c11 $(WARN) -pthread
AV_LDFLAGS = -pthread
LIBS = $(SSL_LIBS) $(SODIUM_LIBS) -lresolv
CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS := $(shell $(PKG_CONFIG) --libs check 2>/dev/null) $(shell $(PKG_CONFIG) --libs yaml-0.1 2>/dev/null) -lutil
COMPILE = $(CC) $(AV_CPPFLAGS) $(CPPFLAGS) $(AV_CFLAGS) $(CFLAGS)
LINK = $(CC) $(AV_LDFLAGS) $(CFLAGS) $(LDFLAGS)

SRC = $(filter-out src/main.c,$(wildcard src/*.c))
OBJ = $(SRC:src/%.c=build/%.o)
TEST_SRC = $(filter-out tests/torture.c,$(wildcard tests/*.c))
TEST_OBJ = $(TEST_SRC:tests/%.c=build/tests/%.o)
HDRS = $(wildcard include/*.h)
SHARED ?= $(CURDIR)/../shared
TEST_ENV = ARCVERIFY_SHARED=$(SHARED) ARCVERIFY_BIN=$(CURDIR)/arcverify

.PHONY: all deps check check-asan check-valgrind check-tsan check-torture fuzz demo bench install clean clean-objs lint-man

all: arcverify

build/%.o: src/%.c $(HDRS) | build/tests
	$(COMPILE) -c $< -o $@

build/tests/%.o: tests/%.c $(HDRS) $(wildcard tests/*.h) | build/tests
	$(COMPILE) $(CHECK_CFLAGS) -Itests -c $< -o $@

build/tests:
	mkdir -p build/tests

arcverify: build/main.o $(OBJ)
	$(LINK) -o $@ $^ $(LIBS)

tests/run-tests: $(TEST_OBJ) $(OBJ) arcverify build/dnstest-server
	$(LINK) -o $@ $(TEST_OBJ) $(OBJ) $(CHECK_LIBS) $(LIBS)

# the test DNS server as a program, for make bench (see tests/server/dnstest-server.c)
build/dnstest-server: tests/server/dnstest-server.c build/tests/dnsserver.o $(OBJ)
	$(COMPILE) -Itests $(AV_LDFLAGS) $(LDFLAGS) -o $@ $< build/tests/dnsserver.o $(OBJ) $(LIBS)

deps:
	@sh tests/deps.sh

check: deps
	$(MAKE) tests/run-tests
	$(TEST_ENV) ./tests/run-tests

check-asan: deps
	$(MAKE) clean-objs
	$(MAKE) tests/run-tests CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" \
		LDFLAGS="-fsanitize=address,undefined"
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$(TEST_ENV) CK_FORK=no ./tests/run-tests
	$(MAKE) clean-objs

check-valgrind: deps
	$(MAKE) tests/run-tests
	$(TEST_ENV) CK_FORK=no valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
		--trace-children=no ./tests/run-tests

# ThreadSanitizer (clang): the whole suite, and the arcverify it runs, built into build/tsan/.
TSAN_FLAGS = -O1 -g -fsanitize=thread -fno-omit-frame-pointer
build/tsan/%.o: src/%.c $(HDRS)
	@mkdir -p build/tsan
	$(FUZZ_CC) $(AV_CPPFLAGS) $(CPPFLAGS) $(AV_CFLAGS) $(TSAN_FLAGS) -c $< -o $@

build/tsan/test-%.o: tests/%.c $(HDRS) $(wildcard tests/*.h)
	@mkdir -p build/tsan
	$(FUZZ_CC) $(AV_CPPFLAGS) $(CPPFLAGS) $(AV_CFLAGS) $(CHECK_CFLAGS) -Itests $(TSAN_FLAGS) -c $< -o $@

build/tsan/arcverify: build/tsan/main.o $(SRC:src/%.c=build/tsan/%.o)
	$(FUZZ_CC) $(AV_LDFLAGS) $(TSAN_FLAGS) -o $@ $^ $(LIBS)

build/tsan/run-tests: $(TEST_SRC:tests/%.c=build/tsan/test-%.o) $(SRC:src/%.c=build/tsan/%.o)
	$(FUZZ_CC) $(AV_LDFLAGS) $(TSAN_FLAGS) -o $@ $^ $(CHECK_LIBS) $(LIBS)

# setarch -R: clang 14's TSan cannot map its shadow memory under a kernel with 32 bits of mmap ASLR
check-tsan: deps build/tsan/arcverify build/tsan/run-tests build/dnstest-server
	TSAN_OPTIONS=halt_on_error=1 ARCVERIFY_SHARED=$(SHARED) ARCVERIFY_BIN=$(CURDIR)/build/tsan/arcverify \
		CK_FORK=no setarch $$(uname -m) -R ./build/tsan/run-tests

# Allocation-failure torture (tests/torture.c): its own ASan build, malloc & co. wrapped (-Wl,--wrap).
TORTURE_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
TORTURE_WRAP = -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup
build/torture/%.o: src/%.c $(HDRS)
	@mkdir -p build/torture
	$(CC) $(AV_CPPFLAGS) $(CPPFLAGS) $(AV_CFLAGS) $(TORTURE_FLAGS) -c $< -o $@

build/torture/torture: tests/torture.c $(SRC:src/%.c=build/torture/%.o)
	$(CC) $(AV_CPPFLAGS) $(CPPFLAGS) $(AV_CFLAGS) $(TORTURE_FLAGS) $(TORTURE_WRAP) -o $@ $^ $(LIBS)

check-torture: build/torture/torture
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		nice ./build/torture/torture $(TORTURE_ARGS)

# libFuzzer targets (tests/fuzz/fuzz-*.c), clang with ASan+UBSan, into build/fuzz/fuzz-NAME.
FUZZ_CC = clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS = -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=undefined
FUZZ_TARGETS = $(patsubst tests/fuzz/fuzz-%.c,%,$(wildcard tests/fuzz/fuzz-*.c))
build/fuzz/obj/%.o: src/%.c $(HDRS)
	@mkdir -p build/fuzz/obj
	$(FUZZ_CC) $(AV_CPPFLAGS) $(CPPFLAGS) $(AV_CFLAGS) $(FUZZ_FLAGS) \
		-fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/fuzz.h $(SRC:src/%.c=build/fuzz/obj/%.o)
	$(FUZZ_CC) $(AV_CPPFLAGS) $(CPPFLAGS) $(AV_CFLAGS) $(FUZZ_FLAGS) -Itests/fuzz \
		-fsanitize=fuzzer,address,undefined -o $@ $< $(SRC:src/%.c=build/fuzz/obj/%.o) $(LIBS)

fuzz: $(FUZZ_TARGETS:%=build/fuzz/fuzz-%)
	sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

.SECONDARY: $(SRC:src/%.c=build/fuzz/obj/%.o) $(SRC:src/%.c=build/torture/%.o) $(SRC:src/%.c=build/tsan/%.o)

demo: deps arcverify
	@sh tests/demo.sh

bench: arcverify build/dnstest-server
	@sh tests/bench.sh

lint-man:
	mandoc -Tlint -W warning man/arcverify.1 man/arcverify-json.5

clean:
	rm -rf build arcverify tests/run-tests

# the objects of the default build only (build/fuzz and build/torture keep their own)
clean-objs:
	rm -rf build/*.o build/tests arcverify tests/run-tests

# ---- install: PREFIX, DESTDIR, BINDIR, MANDIR, DOCDIR (GNU conventions) ----
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/arcverify
INSTALL ?= install
INSTALL_PROGRAM ?= $(INSTALL) -m 755
INSTALL_DATA ?= $(INSTALL) -m 644
INSTALLED = $(BINDIR)/arcverify $(MANDIR)/man1/arcverify.1 $(MANDIR)/man5/arcverify-json.5 \
	$(DOCDIR)/README.md $(DOCDIR)/LICENSE

.PHONY: install install-strip uninstall

install: arcverify
	$(INSTALL) -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(MANDIR)/man1" "$(DESTDIR)$(MANDIR)/man5" "$(DESTDIR)$(DOCDIR)"
	$(INSTALL_PROGRAM) arcverify "$(DESTDIR)$(BINDIR)/arcverify"
	$(INSTALL_DATA) man/arcverify.1 "$(DESTDIR)$(MANDIR)/man1/arcverify.1"
	$(INSTALL_DATA) man/arcverify-json.5 "$(DESTDIR)$(MANDIR)/man5/arcverify-json.5"
	$(INSTALL_DATA) README.md LICENSE "$(DESTDIR)$(DOCDIR)"

install-strip:
	$(MAKE) INSTALL_PROGRAM='$(INSTALL_PROGRAM) -s' install

uninstall:
	rm -f $(INSTALLED:%="$(DESTDIR)%")
	-rmdir "$(DESTDIR)$(DOCDIR)" 2>/dev/null
