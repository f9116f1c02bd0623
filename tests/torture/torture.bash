# torture.bash: shared set-up for the torture suites.  A suite does
#
#	load ../helper
#	load torture
#	setup() { tt_setup; }
#
# and gets: the built spool first in PATH, $TT (tests/torture), $TTB (the
# built tortool and shims), a seeded $RANDOM ($SPOOL_SEED, printed when a
# test fails), $LED (the ledger directory checkq reads) and the helpers
# below.  SPOOL_TORTURE=long selects the long tier ($TT_LONG is 1).

TOP="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
export PATH="${SPOOL_BINDIR:-$TOP}:$PATH"
TT="$TOP/tests/torture"
TTB="$("$TT/build")" || return 1
export TTB TT
TT_LONG=0
[ "${SPOOL_TORTURE:-quick}" = long ] && TT_LONG=1
# libfaketime must never shift the monotonic clock (TESTING.md section 3).
export DONT_FAKE_MONOTONIC=1
# Nor share its state through /dev/shm: that makes syscall counts vary.
export FAKETIME_DISABLE_SHM=1

TT_FAKETIME_LIB=$(dpkg -L libfaketime 2>/dev/null | grep 'libfaketime.so.1$' | head -n 1)

eval "helper_$(declare -f setup)"

# tt_faketime SPEC CMD...: CMD under libfaketime (FAKETIME=SPEC: "+37h",
# "-1h", "2030-01-01 00:00:00").  Not the faketime(1) wrapper: it names a
# semaphore after its PID and fails when a killed run left one behind.
tt_faketime() {
	local spec=$1
	shift
	LD_PRELOAD="$TT_FAKETIME_LIB${LD_PRELOAD:+ $LD_PRELOAD}" \
	    FAKETIME="$spec" "$@"
}

# Skips unless libfaketime is installed.
require_faketime() {
	[ -n "$TT_FAKETIME_LIB" ] || skip "needs libfaketime (apt-get install faketime)"
}

tt_setup() {
	helper_setup
	: "${SPOOL_SEED:=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}"
	export SPOOL_SEED
	RANDOM=$SPOOL_SEED
	echo "# SPOOL_SEED=$SPOOL_SEED (rerun with SPOOL_SEED=$SPOOL_SEED)"
	LED="$BATS_TEST_TMPDIR/ledgers"
	mkdir -p "$LED"
	export LED
}

tortool() {
	"$TTB/tortool" "$@"
}

# tt_push QUEUE SEQ LEN [PUSH-ARGS...]: pushes a binary self-checking
# payload from stdin and keeps the ledger.  Returns push's status.
tt_push() {
	local q=$1 seq=$2 len=$3 id rc
	shift 3
	echo "- $seq" >>"$LED/maybe"
	id=$("$TTB/tortool" gen "$seq" "$len" | spool push "$q" "$@")
	rc=$?
	[ "$rc" = 0 ] && echo "$id $seq" >>"$LED/pushed"
	return "$rc"
}

# tt_checkq QUEUE [OPTIONS...]: checkq against $LED; prints its verdict.
tt_checkq() {
	local q=$1
	shift
	"$TT/checkq" "$@" "$q" "$LED"
}

# tt_age_tmp QUEUE: makes every tmp/ leftover look 37 hours old.
tt_age_tmp() {
	find "$1/tmp" -mindepth 1 -maxdepth 1 -exec touch -h -d '-37 hours' {} +
}

# tt_files QUEUE STATE: message files in one state.
tt_files() {
	find "$1/$2" -type f | wc -l
}

# tt_id TOKEN: the ID a token or message path names.
tt_id() {
	local b=${1##*/}
	echo "${b:0:31}"
}

# tt_ns CMD...: runs CMD in a private mount namespace (as root), so that
# whatever it mounts vanishes with it, even on failure.
tt_ns() {
	unshare -m --propagation private "$@"
}

# Skips unless the strace in PATH can inject faults.
require_strace_inject() {
	require_cmd strace
	strace -qq -o /dev/null -e inject=getpid:error=EIO true 2>/dev/null ||
		skip "strace cannot inject faults here (ptrace denied?)"
}

# tt_sweep [SWEEP-OPTIONS] SCENARIO MODE: runs one sweep (see sweep); its
# report is the test's output, shown when it fails.
tt_sweep() {
	local rc=0
	"$TT/sweep" "$@" || rc=$?
	[ "$rc" = 0 ] || echo "# sweep $* exited $rc (SPOOL_SEED=$SPOOL_SEED)"
	return "$rc"
}

# The syscalls a protocol lint traces (see lint).
TT_LINT_SET=openat,write,pwrite64,fsync,fdatasync,syncfs,close,rename,renameat,renameat2,link,linkat,unlinkat,mkdirat,exit_group

# tt_trace TRACE CMD...: runs CMD under strace for the lint; CMD's
# stdout is printed, its status returned.
tt_trace() {
	local tr=$1
	shift
	strace -f -y -qq -o "$tr" -e trace="$TT_LINT_SET" "$@"
}

# tt_fastdir: prints a fresh directory on tmpfs (/dev/shm) when there is
# one, else in the test's directory; teardown removes it.
tt_fastdir() {
	local d
	if [ -d /dev/shm ] && [ -w /dev/shm ] &&
	    d=$(mktemp -d /dev/shm/spool-torture.XXXXXX); then
		echo "$d" >>"$BATS_TEST_TMPDIR/.fastdirs"
	else
		d=$(mktemp -d "$BATS_TEST_TMPDIR/fast.XXXXXX")
	fi
	echo "$d"
}

# tt_track PID...: processes teardown kills (and continues, if stopped),
# so that a failing test leaves nothing stopped or running behind.
tt_track() {
	echo "$@" >>"$BATS_TEST_TMPDIR/.pids"
}

teardown() {
	local d p
	if [ -f "$BATS_TEST_TMPDIR/.pids" ]; then
		for p in $(cat "$BATS_TEST_TMPDIR/.pids"); do
			# Only what is still ours: a spool, strace or test shell.
			grep -qaE 'spool|strace|bash|sh' "/proc/$p/cmdline" \
			    2>/dev/null || continue
			kill -KILL "$p" 2>/dev/null
			kill -CONT "$p" 2>/dev/null
		done
	fi
	[ -f "$BATS_TEST_TMPDIR/.fastdirs" ] || return 0
	while read -r d; do
		case $d in /dev/shm/spool-torture.*) rm -rf "$d" ;; esac
	done <"$BATS_TEST_TMPDIR/.fastdirs"
}

# tt_drain QUEUE [LEDGERDIR] [SPEC]: claims and acks everything due (at
# libfaketime SPEC, default "+3h"), verifying each payload and keeping
# the ledgers.  Fails on a payload that does not verify.
tt_drain() {
	local q=$1 l=${2:-$LED} spec=${3:-+3h} rc line id
	local -a toks
	while :; do
		# (Not "cmd; echo $?": under bats' errexit that never echoes.)
		mapfile -t toks < <(tt_faketime "$spec" spool pop "$q" -n 64 \
		    --lease 1h && echo rc=0 || echo "rc=$?")
		rc=${toks[-1]#rc=}
		unset 'toks[-1]'
		[ "$rc" = 1 ] && return 0
		[ "$rc" = 0 ] || { echo "# drain: pop exited $rc"; return 1; }
		while read -r line; do
			case $line in
			"OK "*)
				set -- $line
				id=${2##*/}
				echo "${id:0:31} $3" >>"$l/delivered"
				;;
			*) echo "# drain: $line"; return 1 ;;
			esac
		done < <("$TTB/tortool" check -v "${toks[@]}")
		for line in "${toks[@]}"; do
			id=${line##*/}
			echo "${id:0:31}" >>"$l/ackmaybe"
		done
		tt_faketime "$spec" spool ack "${toks[@]}" >/dev/null ||
		    { echo "# drain: ack exited $?"; return 1; }
		for line in "${toks[@]}"; do
			id=${line##*/}
			echo "${id:0:31}" >>"$l/acked"
		done
	done
}
