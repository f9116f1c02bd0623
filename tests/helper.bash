# helper.bash: shared set-up for the bats suites.
#
# Every test gets a fresh queue root in $BATS_TEST_TMPDIR, the built spool
# first in PATH (or the one in $SPOOL_BINDIR, e.g. a sanitizer build), and
# nothing from the user's $HOME.

bats_require_minimum_version 1.5.0

TOP="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
export PATH="${SPOOL_BINDIR:-$TOP}:$PATH"

setup() {
	export HOME="$BATS_TEST_TMPDIR/home"
	export SPOOL_DIR="$BATS_TEST_TMPDIR/spool"
	unset XDG_STATE_HOME NO_COLOR
	mkdir -p "$HOME"
	cd "$BATS_TEST_TMPDIR" || return 1
}

# Files under a state directory of queue $1 ($2: new, cur, retry or dead).
count_state() {
	find "$SPOOL_DIR/$1/$2" -type f | wc -l
}

# Polls (up to ${3:-10} seconds) until "$@"-style condition $1 holds.
wait_for() {
	local i limit=$(( ${2:-10} * 20 ))
	for ((i = 0; i < limit; i++)); do
		eval "$1" && return 0
		sleep 0.05
	done
	echo "timed out waiting for: $1" >&2
	return 1
}

# Skips loudly unless running as root.
require_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
}

# Skips loudly unless every named command exists.
require_cmd() {
	local c
	for c; do
		command -v "$c" >/dev/null 2>&1 || skip "needs $c"
	done
}

# Under a sanitizer build (SPOOL_SANITIZER is set by tests/run), skips
# loudly: for tests that cannot work there, e.g. address-space limits.
require_unsanitized() {
	[ -z "${SPOOL_SANITIZER:-}" ] ||
	    skip "cannot run under ${SPOOL_SANITIZER}: ${1:-sanitizer build}"
}

# LeakSanitizer cannot run under ptrace: under a sanitizer build, strace
# runs its command with leak checks off (memory errors are still caught).
if [ -n "${SPOOL_SANITIZER:-}" ]; then
	strace() {
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		    command strace "$@"
	}
fi
