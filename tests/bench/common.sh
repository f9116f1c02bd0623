# common.sh: what the benchmark scripts in tests/bench/ share.  Sourced.
#
# A script calls bench_setup NAME, then for each repetition REP (0 is the
# warm-up, never summarised) times operations with `m LABEL FLOOR-ARGS...`,
# which runs the floor harness (floor.c) and keeps its JSON line.  Operations
# that are compared are timed in the same repetition, one after the other,
# so that a ratio is always taken between neighbours in one run.  At the
# end bench_summary turns the raw lines into one record per label (medians
# over the repetitions) and `ratio` records, and prints them.
#
# Environment:
#   BENCH_QUICK=1   fewer and smaller runs, for a fast look
#   BENCH_DIR       where the scratch directory goes (default /var/tmp);
#                   every figure depends on its filesystem, which is stated
#   BENCH_WORK      use this scratch directory (run-all shares one)
#   BENCH_OUT       append summary records (JSON lines) to this file
#   BENCH_KEEP=1    keep the scratch directory
#   SPOOL           the spool binary (default: the one built in the tree)
#   LIBSPOOL        the libspool.a for claim.c (default: beside SPOOL)

BENCH_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_TOP=$(cd "$BENCH_HERE/../.." && pwd)
SPOOL=${SPOOL:-$BENCH_TOP/spool}
BENCH_QUICK=${BENCH_QUICK:-0}
# Debian's python3 has python3-dirq; a python3 earlier in PATH may not.
PY3=/usr/bin/python3
[ -x "$PY3" ] || PY3=python3
# The same 100-byte payload for spool and every peer.
PAYLOAD=$(printf 'spool-bench-payload-%080d' 0)

bench_note() {
	printf '%s\n' "$*" >&2
}

bench_die() {
	printf '%s: %s\n' "${BENCH_NAME:-bench}" "$*" >&2
	exit 1
}

# Picks N for a full run or a quick one: pick FULL QUICK.
pick() {
	if [ "$BENCH_QUICK" = 1 ]; then echo "$2"; else echo "$1"; fi
}

bench_cleanup() {
	if [ "${BENCH_OWN_WORK:-0}" = 1 ] && [ "${BENCH_KEEP:-0}" != 1 ]; then
		bench_note "removing $BENCH_WORK (not timed)"
		rm -rf "$BENCH_WORK"
	fi
}

bench_setup() {
	BENCH_NAME=$1
	command -v jq >/dev/null || bench_die "needs jq (apt-get install jq)"
	command -v cc >/dev/null || bench_die "needs a C compiler"
	if [ -z "${BENCH_WORK:-}" ]; then
		BENCH_WORK=$(mktemp -d "${BENCH_DIR:-/var/tmp}/spool-bench.XXXXXX") ||
		    bench_die "cannot make a scratch directory"
		BENCH_OWN_WORK=1
		trap bench_cleanup EXIT
	fi
	export BENCH_WORK
	FLOOR=$BENCH_WORK/floor
	if [ ! -x "$FLOOR" ] || [ "$BENCH_HERE/floor.c" -nt "$FLOOR" ]; then
		cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 \
		    -o "$FLOOR.tmp$$" "$BENCH_HERE/floor.c" &&
		    mv "$FLOOR.tmp$$" "$FLOOR" || bench_die "cannot build floor.c"
	fi
	BENCH_RAW=$BENCH_WORK/$BENCH_NAME.raw
	BENCH_DESC=$BENCH_WORK/$BENCH_NAME.desc
	: >"$BENCH_RAW"
	: >"$BENCH_DESC"
	REP=0
	# Stopped by a time limit: keep what was measured.
	trap 'bench_note "$BENCH_NAME: stopped; summarising what was measured"
	    bench_summary; exit 124' TERM INT
}

# True when the built spool exists and runs.
have_spool() {
	[ -x "$SPOOL" ] && "$SPOOL" --version >/dev/null 2>&1
}

# Builds claim.c against the libspool.a beside $SPOOL (or $LIBSPOOL) into
# $CLAIM; returns 1 if it cannot.
build_claim() {
	local lib=${LIBSPOOL:-$(dirname "$SPOOL")/libspool.a}
	CLAIM=$BENCH_WORK/claim
	[ -x "$CLAIM" ] && return 0
	[ -f "$lib" ] || return 1
	cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 \
	    -I"$BENCH_TOP/lib" -o "$CLAIM.tmp$$" "$BENCH_HERE/claim.c" \
	    "$lib" $(pkg-config --libs libarchive 2>/dev/null) -ldl -lpthread \
	    2>"$BENCH_WORK/claim.err" && mv "$CLAIM.tmp$$" "$CLAIM" && return 0
	bench_note "$BENCH_NAME: cannot build claim.c: $(head -3 "$BENCH_WORK/claim.err")"
	return 1
}

# describe LABEL TEXT: what a label measures, for the table.
describe() {
	jq -cn --arg l "$1" --arg d "$2" '{label: $l, desc: $d}' >>"$BENCH_DESC"
}

# m LABEL FLOOR-ARGS...: one timed run, kept unless this is the warm-up.
# With PER=K in the environment the run did K operations in one child
# (push -l of K lines, run over K messages): times and CPU are divided by
# K.  A failed run is kept as an error, and m returns 1.
m() {
	local label=$1
	shift
	mc "$label" "$FLOOR" "$@"
}

# mc LABEL CMD...: as m, for a command that prints a line as floor does.
mc() {
	local label=$1 out err
	shift
	err=$BENCH_WORK/err.$$
	if out=$("$@" 2>"$err"); then
		[ "$REP" -gt 0 ] || return 0
		printf '%s\n' "$out" | jq -c --arg l "$label" --argjson r "$REP" \
		    --argjson k "${PER:-1}" '. + {label: $l, rep: $r}
		    | if $k > 1 then .n = $k | .mean_us /= $k | .p50_us /= $k
		      | .p90_us /= $k | .min_us /= $k | .child_cpu_us /= $k
		      | .ops_per_s *= $k else . end' >>"$BENCH_RAW"
		return 0
	fi
	bench_note "$BENCH_NAME: $label failed: $(tail -3 "$err")"
	jq -cn --arg l "$label" --argjson r "$REP" --arg e "$(tail -3 "$err")" \
	    '{label: $l, rep: $r, error: $e}' >>"$BENCH_RAW"
	return 1
}

# record LABEL JSON: a measurement made without the harness (same fields:
# at least mean_us; n, maxrss_kb, child_cpu_us when known).
record() {
	[ "$REP" -gt 0 ] || return 0
	printf '%s\n' "$2" | jq -c --arg l "$1" --argjson r "$REP" \
	    '. + {label: $l, rep: $r}' >>"$BENCH_RAW"
}

# Seconds (float) since the epoch, for phases timed from the shell.
now() {
	date +%s.%N
}

# ratio NAME NUM DEN OP TARGET [TEXT [FIELD]]: the median over repetitions
# of FIELD(NUM) / FIELD(DEN) (FIELD: mean_us, or maxrss_kb), paired by
# repetition; OP is <= or >=, or ~ for a figure with no target.  For a rate target ("at least 50% of the
# floor's rate") pass the floor as NUM: floor time / spool time = spool
# rate / floor rate.  DEN "-" makes it a limit on NUM in seconds.
ratio() {
	jq -cn --arg n "$1" --arg a "$2" --arg b "$3" --arg op "$4" \
	    --argjson t "$5" --arg d "${6:-}" --arg f "${7:-mean_us}" \
	    '{ratio: $n, num: $a, den: $b, op: $op, target: $t, desc: $d,
	    field: $f}' >>"$BENCH_DESC"
}

# Summarises BENCH_RAW into records (appended to BENCH_OUT if set) and
# prints them as a table on stderr.
bench_summary() {
	local sum=$BENCH_WORK/$BENCH_NAME.sum
	jq -sc --arg suite "$BENCH_NAME" --slurpfile desc "$BENCH_DESC" \
	    -f "$BENCH_HERE/summary.jq" "$BENCH_RAW" >"$sum" ||
	    bench_die "cannot summarise $BENCH_RAW"
	[ -z "${BENCH_OUT:-}" ] || cat "$sum" >>"$BENCH_OUT"
	printf '\n%s (%s)\n' "$BENCH_NAME" "$(fs_of "$BENCH_WORK")" >&2
	jq -r -f "$BENCH_HERE/table.jq" "$sum" >&2
}

# The filesystem DIR is on, as "TYPE (options), journal yes|no".
fs_of() {
	local src type opts dev journal=unknown
	read -r src type opts < <(findmnt -no SOURCE,FSTYPE,OPTIONS -T "$1")
	dev=${src##*/}
	if [ "$type" = ext4 ]; then
		if ls -d /proc/fs/jbd2/"$dev"-* >/dev/null 2>&1; then
			journal=yes
		else
			journal=no
		fi
	fi
	printf '%s on %s (%s), journal %s' "$type" "$src" "$opts" "$journal"
}
