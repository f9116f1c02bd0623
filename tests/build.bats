#!/usr/bin/env bats
# build.bats: the build's own promises: flags, hardening, install paths,
# and the test runner's arithmetic.
# tests/run: no-sanitizer (it checks the normal build)

load helper

tmake() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
	    make -C "$TOP" SPOOL_NO_DEPS=1 "$@"
}

@test "spool --version prints SPOOL_VERSION from spool.h" {
	local v
	v=$(sed -n 's/^#define SPOOL_VERSION "\(.*\)"/\1/p' "$TOP/lib/spool.h")
	run -0 spool --version
	[ "$output" = "spool $v" ]
}

@test "spool is a PIE with full RELRO and immediate binding" {
	require_cmd readelf
	run -0 readelf -h "$TOP/spool"
	[[ $output == *"Type:"*"DYN"* ]]
	run -0 readelf -l "$TOP/spool"
	[[ $output == *GNU_RELRO* ]]
	run -0 readelf -d "$TOP/spool"
	[[ $output == *BIND_NOW* || $output == *"FLAGS_1"*"NOW"* ]]
}

@test "spool is built with _FORTIFY_SOURCE and the stack protector" {
	require_cmd readelf
	run -0 readelf -W --dyn-syms "$TOP/spool"
	[[ $output == *__stack_chk_fail* ]]
	[[ $output =~ __[a-z]+_chk ]]
}

@test "make keeps the user's CFLAGS and appends the project's after them" {
	run -0 tmake -n -B V=1 CFLAGS=-DUSER_MARK build/cmd/spool.o
	# The recipe as one line, without its backslash-newlines.
	local line=${output//$'\\\n'/}
	[[ $line == *"-c -o build/cmd/spool.o"* ]]
	[[ $line == *-DUSER_MARK*-std=c11*-Wall*-Wextra*-Werror* ]]
	[[ $line == *-D_FORTIFY_SOURCE=2* ]]
	[[ $line == *-fstack-protector-strong* ]]
	[[ $line == *-Wformat-security* ]]
	[[ $line == *"-MMD -MP"* ]]
	[[ $line == *-fPIE* ]]
}

@test "the shared objects are built separately with -fPIC" {
	run -0 tmake -n -B V=1 build/pic/lib/util.o
	[[ $output == *"-fPIC"*"-c -o build/pic/lib/util.o"* ]]
}

@test "make install paths all derive from PREFIX and land under DESTDIR" {
	run -0 tmake -n install PREFIX=/opt/q DESTDIR=/stage
	local dests
	dests=$(grep -o '/stage[^ ;"]*' <<<"$output" | sort -u)
	[[ $dests == *"/stage/opt/q/bin"* ]]
	[[ $dests == *"/stage/opt/q/lib/pkgconfig"* ]]
	[[ $dests == *"/stage/opt/q/include"* ]]
	run -1 grep -v '^/stage/opt/q/' <<<"$dests"
	run -1 grep -e '/usr/local' <<<"$dests"
}

@test "make uninstall names the three completion paths under PREFIX" {
	run -0 tmake -n uninstall PREFIX=/opt/q
	[[ $output == */opt/q/share/bash-completion/completions/spool* ]]
	[[ $output == */opt/q/share/zsh/site-functions/_spool* ]]
	[[ $output == */opt/q/share/fish/vendor_completions.d/spool.fish* ]]
}

# Runs the scratch tree's runner as a user would, outside this bats run.
run_runner() {
	# bats puts its own libexec first in PATH; the inner bats must not.
	local path
	path=$(tr ':' '\n' <<<"$PATH" | grep -v bats-core | paste -sd:)
	env -i PATH="$path" HOME="$HOME" TMPDIR="$BATS_TEST_TMPDIR" \
	    TERM=dumb SPOOL_TEST_JOBS=2 t/tests/run "$@" 3>&-
}

# A scratch tree with the runner and fake suites, to check its sums.
fake_tree() {
	mkdir -p t/tests/unit t/tests/extra t/man
	cp "$TOP/tests/run" t/tests/run
	cat >t/Makefile <<'EOF'
all asan lint-man lint-format:
	@true
EOF
	# (printf, not a here-document: bats would take those for its own.)
	printf '%s\n' '@test "passes" { true; }' '@test "fails" { false; }' \
	    '@test "skips" { skip "no reason"; }' >t/tests/a.bats
	printf '#!/bin/sh\necho "1..3"\necho "ok 1 - one"\n' >t/tests/extra/short.t
	printf '#!/bin/sh\necho "1..1"\necho "ok 1 - fine"\nexit 3\n' \
	    >t/tests/extra/liar.t
	chmod +x t/tests/extra/*.t
	# Not executable, so not a suite.
	printf 'echo "not ok 1"\n' >t/tests/extra/notes.t
}

@test "the test runner sums every suite and ends with the summary line" {
	fake_tree
	run -1 run_runner
	# build/all, build/asan, bats/a (1 passed 1 failed 1 skipped) twice,
	# extra/short (1 passed, 2 missing), extra/liar (1 passed, exit 3),
	# lint/man (skipped: no pages), lint/format.
	[ "${lines[-1]}" = "7 passed, 5 failed, 3 skipped" ]
	[[ $output == *"=== extra/liar: 1 failed (exit 3)"* ]]
	[[ $output != *notes* ]]
}

@test "the test runner exits 0 and prints no failures when all pass" {
	fake_tree
	rm t/tests/a.bats t/tests/extra/short.t t/tests/extra/liar.t
	printf '@test "passes" { true; }\n' >t/tests/b.bats
	run -0 run_runner
	[ "${lines[-1]}" = "5 passed, 0 failed, 1 skipped" ]
	[[ $output != *===* ]]
}

@test "the test runner counts a failed build and still runs the suites" {
	fake_tree
	rm t/tests/a.bats t/tests/extra/short.t t/tests/extra/liar.t
	printf 'all:\n\t@echo "cc: error: broken" >&2; exit 1\n' >t/Makefile
	printf 'asan lint-man lint-format:\n\t@true\n' >>t/Makefile
	printf '@test "passes" { true; }\n' >t/tests/b.bats
	run -1 run_runner
	[ "${lines[-1]}" = "4 passed, 1 failed, 1 skipped" ]
	[[ $output == *"cc: error: broken"* ]]
}

@test "the test runner runs only the suites its patterns select" {
	fake_tree
	run -1 run_runner 'bats/*'
	[ "${lines[-1]}" = "2 passed, 1 failed, 1 skipped" ]
}

@test "the demo runs to its end: a retried job succeeds, a dead one keeps its reason" {
	run -0 sh "$TOP/tests/demo.sh"
	[[ $output != *"not implemented yet"* ]]
	[[ $output == *"thumbnail of flaky.jpg done (attempt 2)"* ]]
	[[ $output == *"corrupt.jpg: not an image"* ]]
	[[ $output == *"(exit 1: some jobs failed)"* ]]
	[[ $output != *"steps failed"* ]]
}

@test "the test runner lists its suites, found by glob, without running them" {
	fake_tree
	run -0 run_runner --list
	[ "$output" = "$(printf '%s\n' bats/a asan/a extra/liar extra/short \
	    lint/man lint/format)" ]
	run -0 run_runner --list 'extra/*'
	[ "$output" = "$(printf '%s\n' extra/liar extra/short)" ]
	[ ! -e t/build ]
}

@test "the test runner fails an ASan suite on a sanitizer report nobody checked" {
	require_cmd cc
	fake_tree
	rm t/tests/a.bats t/tests/extra/short.t t/tests/extra/liar.t
	printf '#include <stdlib.h>\nint main(void) { return !malloc(9); }\n' \
	    >leak.c
	cc -fsanitize=address -g -o t/leak leak.c
	printf '%s\n' '@test "ignores the status" { "$BATS_TEST_DIRNAME/../leak" || true; }' \
	    >t/tests/leaky.bats
	run -1 run_runner
	[ "${lines[-1]}" = "5 passed, 1 failed, 1 skipped" ]
	[[ $output == *"=== asan/leaky: 1 failed"* ]]
	[[ $output == *"not ok - sanitizer reports"* ]]
	[[ $output == *"LeakSanitizer: detected memory leaks"* ]]
}
