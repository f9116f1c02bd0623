#!/usr/bin/env bats
# install.bats: make install and uninstall, with PREFIX and DESTDIR, and a
# program built against the installed library through pkg-config.
# tests/run: no-sanitizer (it tests the installed normal build)

load helper

# Runs make in the source tree, quietly, without checking dependencies.
tmake() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
	    make -s -C "$TOP" SPOOL_NO_DEPS=1 "$@"
}

setup_file() {
	export VERSION
	VERSION=$(sed -n 's/^#define SPOOL_VERSION "\(.*\)"/\1/p' \
	    "$BATS_TEST_DIRNAME/../lib/spool.h")
}

# A program using the API: durations need no queue; then one message
# goes through init, push, claim, read and ack.
write_program() {
	cat >prog.c <<'EOF'
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <spool.h>

int
main(int argc, char **argv)
{
	struct spool_config cfg;
	struct spool_push_opts po;
	struct spool_msg *m;
	struct spool *q;
	char id[SPOOL_ID_SIZE], buf[64], dur[32];
	int64_t ms;
	ssize_t n;

	if (argc != 2 || spool_parse_duration("90m", &ms) != 0)
		return 10;
	printf("version %s, 90m is %s\n", SPOOL_VERSION,
	    spool_format_duration(ms, dur, sizeof(dur)));
	spool_config_default(&cfg);
	if (spool_init(argv[1], &cfg, 0, 0) != 0)
		return 11;
	if ((q = spool_open(argv[1], 0)) == NULL)
		return 12;
	spool_push_opts_default(&po);
	if (spool_push(q, "hello", 5, &po, id) != 0)
		return 13;
	if (spool_claim(q, 0, &m) != 0 || strcmp(spool_msg_id(m), id) != 0)
		return 14;
	if ((n = read(spool_msg_fd(m), buf, sizeof(buf) - 1)) != 5)
		return 15;
	buf[n] = '\0';
	if (spool_ack(q, spool_msg_token(m)) != 0)
		return 16;
	printf("claimed and acked \"%s\"\n", buf);
	spool_msg_free(m);
	spool_close(q);
	return 0;
}
EOF
}

# Every file and symlink under $1, relative to it.
files_under() {
	(cd "$1" && find . ! -type d | sort)
}

@test "make install puts the binary, libraries, header and pkg-config file under PREFIX" {
	run -0 tmake install PREFIX="$PWD/p"
	[ -x p/bin/spool ]
	[ -f p/lib/libspool.a ]
	[ -f "p/lib/libspool.so.$VERSION" ]
	[ "$(readlink p/lib/libspool.so.0)" = "libspool.so.$VERSION" ]
	[ "$(readlink p/lib/libspool.so)" = "libspool.so.$VERSION" ]
	cmp p/include/spool.h "$TOP/lib/spool.h"
	run -0 p/bin/spool --version
	[ "$output" = "spool $VERSION" ]
	export PKG_CONFIG_PATH="$PWD/p/lib/pkgconfig"
	run -0 pkg-config --modversion libspool
	[ "$output" = "$VERSION" ]
	run -0 pkg-config --variable=libdir libspool
	[ "$output" = "$PWD/p/lib" ]
}

@test "make install installs every man page where man finds it" {
	local pages=("$TOP"/man/*.[1-9]) p s
	[ ${#pages[@]} -gt 0 ] || skip "no man pages in man/ yet"
	run -0 tmake install PREFIX="$PWD/p"
	for p in "${pages[@]}"; do
		s=${p##*.}
		cmp "$p" "p/share/man/man$s/${p##*/}"
	done
	require_cmd man
	MANPATH="$PWD/p/share/man" run -0 man -w 1 spool
	[ "$output" = "$PWD/p/share/man/man1/spool.1" ]
}

@test "make install installs each completion in its shell's directory" {
	local n=0
	run -0 tmake install PREFIX="$PWD/p"
	if [ -f "$TOP/completions/spool.bash" ]; then
		cmp "$TOP/completions/spool.bash" \
		    p/share/bash-completion/completions/spool
		n=$((n + 1))
	fi
	if [ -f "$TOP/completions/_spool" ]; then
		cmp "$TOP/completions/_spool" p/share/zsh/site-functions/_spool
		n=$((n + 1))
	fi
	if [ -f "$TOP/completions/spool.fish" ]; then
		cmp "$TOP/completions/spool.fish" \
		    p/share/fish/vendor_completions.d/spool.fish
		n=$((n + 1))
	fi
	[ $n -gt 0 ] || skip "no completions in completions/ yet"
}

@test "a program builds against the installed shared library with pkg-config and runs" {
	require_cmd pkg-config cc readelf
	run -0 tmake install PREFIX="$PWD/p"
	write_program
	export PKG_CONFIG_PATH="$PWD/p/lib/pkgconfig"
	# shellcheck disable=SC2046 # pkg-config output is a list of flags
	cc -o prog prog.c $(pkg-config --cflags --libs libspool)
	run -0 readelf -d prog
	[[ $output == *"Shared library: [libspool.so.0]"* ]]
	LD_LIBRARY_PATH="$PWD/p/lib" run -0 ./prog "$PWD/q"
	[ "${lines[0]}" = "version $VERSION, 90m is 1h30m" ]
	[ "${lines[1]}" = 'claimed and acked "hello"' ]
}

@test "a program links the installed static library and runs without libspool.so" {
	require_cmd pkg-config cc readelf
	run -0 tmake install PREFIX="$PWD/p"
	write_program
	export PKG_CONFIG_PATH="$PWD/p/lib/pkgconfig"
	# The .pc file's static flags, with libspool itself taken from the .a.
	local libs
	libs=$(pkg-config --static --libs libspool)
	[[ $libs == *-lspool* ]]
	# shellcheck disable=SC2046
	cc -o prog prog.c $(pkg-config --cflags libspool) \
	    ${libs/-lspool/-Wl,-Bstatic -lspool -Wl,-Bdynamic}
	run -0 readelf -d prog
	[[ $output != *libspool* ]]
	rm -r p
	run -0 ./prog "$PWD/q"
	[ "${lines[0]}" = "version $VERSION, 90m is 1h30m" ]
	[ "${lines[1]}" = 'claimed and acked "hello"' ]
}

@test "the shared library has the soname libspool.so.0 and exports only spool_ names" {
	require_cmd readelf
	run -0 tmake install PREFIX="$PWD/p"
	run -0 readelf -d "p/lib/libspool.so.$VERSION"
	[[ $output == *"Library soname: [libspool.so.0]"* ]]
	# Defined global symbols: Ndx is a section number, not UND.
	run -0 readelf -W --dyn-syms "p/lib/libspool.so.$VERSION"
	local exported
	exported=$(printf '%s\n' "$output" |
	    awk '$5 == "GLOBAL" && $7 != "UND" { print $8 }')
	[ -n "$exported" ]
	run -1 grep -v '^spool_' <<<"$exported"
}

@test "the static library's only global names are the spool_ API" {
	require_cmd nm
	run -0 tmake install PREFIX="$PWD/p"
	run -0 nm -g --defined-only p/lib/libspool.a
	local names
	names=$(printf '%s\n' "$output" | awk 'NF == 3 { print $3 }')
	[[ $names == *spool_push* ]]
	run -1 grep -v '^spool_' <<<"$names"
}

@test "make install with DESTDIR stages the files and records only PREFIX" {
	run -0 tmake install PREFIX=/opt/spool DESTDIR="$PWD/stage"
	[ -x stage/opt/spool/bin/spool ]
	[ -f stage/opt/spool/lib/pkgconfig/libspool.pc ]
	run -0 grep -x 'prefix=/opt/spool' stage/opt/spool/lib/pkgconfig/libspool.pc
	run -1 grep -r -F "$PWD/stage" stage
	[ "$(readlink stage/opt/spool/lib/libspool.so.0)" = "libspool.so.$VERSION" ]
}

@test "make uninstall removes every file make install added, with PREFIX" {
	run -0 tmake install PREFIX="$PWD/p"
	run -0 files_under p
	[ ${#lines[@]} -ge 8 ]
	run -0 tmake uninstall PREFIX="$PWD/p"
	run -0 files_under p
	[ -z "$output" ]
}

@test "make uninstall removes every file make install added, with DESTDIR" {
	run -0 tmake install PREFIX=/usr DESTDIR="$PWD/stage"
	run -0 files_under stage
	[ ${#lines[@]} -ge 8 ]
	run -0 tmake uninstall PREFIX=/usr DESTDIR="$PWD/stage"
	run -0 files_under stage
	[ -z "$output" ]
}

@test "make uninstall leaves files it did not install" {
	mkdir -p p/bin p/share/man/man1
	echo keep >p/bin/other
	echo keep >p/share/man/man1/other.1
	run -0 tmake install PREFIX="$PWD/p"
	run -0 tmake uninstall PREFIX="$PWD/p"
	run -0 files_under p
	[ "$output" = "$(printf './bin/other\n./share/man/man1/other.1')" ]
}
