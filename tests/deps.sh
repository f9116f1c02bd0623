#!/bin/sh
# deps.sh MODE: check that what MODE needs is installed, installing the
# missing Debian packages when run as root.
#
#   build    a C compiler, pkg-config, libarchive-dev (make, make demo)
#   test     build + bats, and the tools the suites use (make test)
#   bench    build + hyperfine (make bench)
#   torture  test + afl++ (make torture)
#
# A package MODE cannot work without is required: when one is missing and
# we are not root, print the exact install line and stop.  The tools only
# some tests use are optional: print the line and go on; those tests skip
# and say why.  Root installs everything missing with one apt-get update
# and one apt-get install, non-interactively.  SPOOL_NO_DEPS=1 skips all
# of this but the one check a build cannot do without (for packagers and
# offline machines).
set -u

mode=${1:-build}
if [ "${SPOOL_NO_DEPS:-}" = 1 ]; then
	"${PKG_CONFIG:-pkg-config}" --exists libarchive 2>/dev/null && exit 0
	echo "spool needs libarchive and pkg-config to build:" \
	    "apt-get install pkg-config libarchive-dev" >&2
	exit 1
fi

build_req="gcc libc6-dev pkg-config libarchive-dev"
# TESTING.md section 9, plus what the suites themselves call.
test_opt="mandoc clang-format strace e2fsprogs util-linux xfsprogs
    faketime eatmydata fuse3 bindfs libarchive-tools zzuf fiu-utils clang
    libclang-rt-14-dev jq zsh fish tmux valgrind time"

case $mode in
build) req=$build_req opt= ;;
test) req="$build_req bats" opt=$test_opt ;;
bench) req="$build_req jq" opt="hyperfine e2fsprogs" ;;
torture) req="$build_req bats" opt="$test_opt afl++" ;;
*)
	echo "usage: tests/deps.sh build|test|bench|torture" >&2
	exit 2
	;;
esac

# Without dpkg we cannot name packages: check the essentials by hand.
if ! command -v dpkg-query >/dev/null 2>&1; then
	if ! command -v "${CC:-cc}" >/dev/null 2>&1 ||
	    ! command -v "${PKG_CONFIG:-pkg-config}" >/dev/null 2>&1 ||
	    ! "${PKG_CONFIG:-pkg-config}" --exists libarchive; then
		echo "spool needs a C compiler, pkg-config and libarchive" \
		    "(with its development files) to build." >&2
		exit 1
	fi
	case $mode in test | torture)
		command -v bats >/dev/null 2>&1 || {
			echo "make test needs bats (bats-core >= 1.5)." >&2
			exit 1
		}
		;;
	esac
	exit 0
fi

# Prints the packages of $* that are not installed.
missing() {
	installed=$(dpkg-query -W -f '${Package} ${db:Status-Abbrev}\n' \
	    "$@" 2>/dev/null | awk '$2 == "ii" { print $1 }')
	for p; do
		case " $(echo $installed) " in
		*" $p "*) ;;
		*) printf '%s ' "$p" ;;
		esac
	done
}

# shellcheck disable=SC2086 # word splitting of package lists is wanted
miss_req=$(missing $req)
# shellcheck disable=SC2086
miss_opt=$(missing $opt)
# shellcheck disable=SC2086 # (flattened to one line, no trailing space)
miss_req=$(echo $miss_req) miss_opt=$(echo $miss_opt)
[ -z "$miss_req$miss_opt" ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	if [ -n "$miss_req" ]; then
		echo "make: missing packages; install them with:" >&2
		echo "  sudo apt-get install $(echo $miss_req $miss_opt)" >&2
		exit 1
	fi
	echo "note: some tests will skip; to run them all:" >&2
	echo "  sudo apt-get install $miss_opt" >&2
	exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt="apt-get -q -y -o DPkg::Lock::Timeout=300"
echo "installing: $(echo $miss_req $miss_opt)" >&2
$apt update </dev/null >&2 || exit 1
# A package this release does not have (libclang-rt-14-dev outside
# Debian 12) must not block the others.
avail=
for p in $miss_req $miss_opt; do
	if apt-cache show "$p" >/dev/null 2>&1; then
		avail="$avail $p"
	else
		echo "note: no package $p here; the tests that need it skip" >&2
	fi
done
# shellcheck disable=SC2086
[ -z "$avail" ] || $apt install $avail </dev/null >&2 || exit 1
# shellcheck disable=SC2086
left=$(missing $req)
if [ -n "$left" ]; then
	echo "make: still missing: $left" >&2
	exit 1
fi
exit 0
