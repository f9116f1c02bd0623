#!/usr/bin/env bats
# man.bats: the manual pages agree with the code: every subcommand, every
# option its --help shows, every exit status, every environment variable
# the code reads, and every function and constant of spool.h is documented.
# tests/run: no-sanitizer (documentation against code: the ASan pass adds nothing)

load helper

MAN="$TOP/man"

table_commands() {
	sed -n 's/^[[:space:]]*{"\([a-z]*\)", cmd_.*/\1/p' "$TOP/cmd/spool.c"
}

# "COMMAND FLAG" pairs for every option documented under COMMANDS.
man_flags() {
	awk '
	/^\.Sh COMMANDS/ { on = 1; next }
	/^\.Sh / { on = 0 }
	!on { next }
	/^\.It Cm [a-z]+/ { cmd = $3 }
	/^\.It / && cmd != "" {
		for (i = 2; i < NF; i++)
			if ($i == "Fl" && $(i + 1) ~ /^-?[A-Za-z0-9]/)
				print cmd, "-" $(i + 1)
	}' "$MAN/spool.1" | sort -u
}

# The options a --help text shows: words like -m or --no-sync, bracketed
# or not; "--" alone and "--help" are left out.
help_flags() {
	grep -oE '(^|[][ |(])--?[A-Za-z0-9][A-Za-z0-9-]*' |
	    sed 's/^[][ |(]//' | grep -vx -e '--help' | sort -u
}

# A section of a man page's source, from ".Sh $2" to the next .Sh.
section() {
	awk -v s=".Sh $2" '$0 == s { on = 1; next } /^\.Sh / { on = 0 } on' \
	    "$MAN/$1"
}

# Names of the functions lib/spool.h declares.
header_functions() {
	sed 's,/\*.*\*/,,' "$TOP/lib/spool.h" |
	    grep -oE '\bspool_[a-z0-9_]+\(' | tr -d '(' |
	    grep -vx 'spool_[a-z_]*_fn' | sort -u
}

@test "every subcommand of the dispatch table has an item in spool(1)" {
	local c n=0
	for c in $(table_commands); do
		grep -q "^\.It Cm $c\( \|$\)" "$MAN/spool.1" ||
		    { echo "no .It Cm $c" >&2; return 1; }
		section spool.1 SYNOPSIS | grep -qx "\.Cm $c" ||
		    { echo "$c not in SYNOPSIS" >&2; return 1; }
		n=$((n + 1))
	done
	[ "$n" -ge 15 ]
}

@test "every option in each subcommand's --help is documented under it in spool(1)" {
	local c flags missing
	for c in $(table_commands); do
		run -0 spool "$c" --help
		flags=$(help_flags <<<"$output")
		missing=$(comm -23 <(printf '%s\n' "$flags" | sed '/^$/d') \
		    <(man_flags | awk -v c="$c" '$1 == c { print $2 }'))
		if [ -n "$missing" ]; then
			echo "spool $c: undocumented: $missing" >&2
			return 1
		fi
	done
}

@test "spool help CMD and spool CMD --help print the same synopsis" {
	local c
	for c in $(table_commands); do
		run -0 spool help "$c"
		local a=$output
		run -0 spool "$c" --help
		[ "$a" = "$output" ] || { echo "spool $c" >&2; return 1; }
		[[ ${output%%$'\n'*} == "usage: spool $c"* ]]
	done
}

@test "every exit status in cmd/cmd.h is listed in spool(1) EXIT STATUS" {
	local n codes
	codes=$(sed -n 's/^#define EX_[A-Z]* \([0-9]*\).*/\1/p' \
	    "$TOP/cmd/cmd.h")
	[ -n "$codes" ]
	for n in $codes; do
		section spool.1 "EXIT STATUS" | grep -qx "\.It $n" ||
		    { echo "exit status $n undocumented" >&2; return 1; }
	done
}

@test "every environment variable the code reads is in spool(1) ENVIRONMENT" {
	local v vars
	vars=$(cat "$TOP"/lib/*.c "$TOP"/cmd/*.c |
	    grep -oE '(secure_)?getenv\("[A-Za-z_]+"\)' |
	    sed 's/.*("\(.*\)")/\1/' | sort -u)
	[ -n "$vars" ]
	for v in $vars; do
		section spool.1 ENVIRONMENT | grep -q "^\.It Ev $v\$" ||
		    { echo "$v undocumented" >&2; return 1; }
	done
}

@test "every variable spool run sets for a job is in spool(1) ENVIRONMENT" {
	local v
	for v in SPOOL_ID SPOOL_ATTEMPT SPOOL_QUEUE SPOOL_FILE; do
		grep -q "\"$v=" "$TOP"/cmd/run*.c ||
		    { echo "$v not set by cmd/run*.c" >&2; return 1; }
		section spool.1 ENVIRONMENT | grep -q "^\.It Ev $v\$" ||
		    { echo "$v undocumented" >&2; return 1; }
	done
}

@test "every function in lib/spool.h is in libspool(3)'s SYNOPSIS and DESCRIPTION" {
	local f n=0
	for f in $(header_functions); do
		section libspool.3 SYNOPSIS | grep -q "^\.Fn $f " ||
		    { echo "$f not in SYNOPSIS" >&2; return 1; }
		section libspool.3 DESCRIPTION | grep -q "^\.Fn $f\( \|$\)" ||
		    { echo "$f not described" >&2; return 1; }
		n=$((n + 1))
	done
	[ "$n" -ge 50 ]
}

@test "every SPOOL_ constant in lib/spool.h is in libspool(3)" {
	local c
	for c in $(sed -n 's/^#define \(SPOOL_[A-Z0-9_]*\).*/\1/p' \
	    "$TOP/lib/spool.h" | grep -vx SPOOL_H); do
		grep -q "\b$c\b" "$MAN/libspool.3" ||
		    { echo "$c undocumented" >&2; return 1; }
	done
}

@test "spool(5) states the header's clock skew tolerance and ID length" {
	local skew len
	skew=$(sed -n 's/^#define SPOOL_SKEW_MS \([0-9]*\).*/\1/p' \
	    "$TOP/lib/spool.h")
	len=$(sed -n 's/^#define SPOOL_ID_LEN \([0-9]*\).*/\1/p' \
	    "$TOP/lib/spool.h")
	[ -n "$skew" ] && [ -n "$len" ]
	grep -q "^$skew milliseconds" "$MAN/spool.5"
	grep -q "^An ID is $len characters" "$MAN/spool.5"
}

@test "spool(5) states internal.h's tmp/ age limit" {
	local h
	h=$(sed -n 's/^#define TMP_MAX_AGE_MS (\([0-9]*\)LL \* 3600 \* 1000)/\1/p' \
	    "$TOP/lib/internal.h")
	[ -n "$h" ]
	grep -q "$h hours" "$MAN/spool.5"
}

@test "the C examples in libspool(3) compile against lib/spool.h" {
	require_cmd mandoc cc
	mandoc -Tascii "$MAN/libspool.3" | col -b >page.txt
	awk '/A producer that pushes/ { on = 1; next }
	    /A consumer that handles/ { on = 0 } on' page.txt >producer.c
	awk '/A consumer that handles/ { on = 1; getline; next }
	    /Build either with/ { on = 0 } on' page.txt >consumer.c
	grep -q 'spool_push' producer.c
	grep -q 'spool_claim' consumer.c
	run -0 cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	    -I"$TOP/lib" -c producer.c
	run -0 cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	    -I"$TOP/lib" -c consumer.c
}

@test "the README links every man page that exists" {
	local p
	for p in "$MAN"/*.[0-9]; do
		grep -q "](man/${p##*/})" "$TOP/README.md" ||
		    { echo "README lacks ${p##*/}" >&2; return 1; }
	done
}
