#!/bin/sh
# demo.sh: spool's main job in half a minute, narrated (`make demo`).
#
# A queue of thumbnail jobs is drained by `spool run`.  One job fails
# once and succeeds on its retry; one fails for good (exit 100) and ends
# in dead/ with its reason.  Everything happens in a scratch directory
# that is removed at the end; nothing touches your own queues.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
PATH="$top:$PATH"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/spool-demo.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM
export SPOOL_DIR="$scratch/spool"
cd "$scratch" || exit 1
pending=0 failed=0
bold= plain=
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	bold=$(printf '\033[1m') plain=$(printf '\033[0m')
fi

say() {
	printf '\n%s# %s%s\n' "$bold" "$*" "$plain"
}

# Shows a command and runs it.  Its standard error still reaches the
# terminal, and a copy tells a command that is not written yet from one
# that failed.
exec 4>&1
step() {
	printf '$ %s\n' "$*"
	{
		"$@" 2>&1 1>&4 4>&-
		echo $? >"$scratch/rc"
	} | tee "$scratch/err" >&2
	rc=$(cat "$scratch/rc")
	if grep -q 'not implemented yet' "$scratch/err"; then
		echo "  (not implemented yet: skipped)"
		pending=$((pending + 1))
		return 0
	fi
	case $rc in
	0) ;;
	1)
		case "$*" in
		*"spool run "*) echo "  (exit 1: some jobs failed)" ;;
		*) echo "  (exit 1: nothing to do)" ;;
		esac
		;;
	*)
		echo "  (exit $rc)"
		failed=$((failed + 1))
		;;
	esac
	return "$rc"
}

# The job: the payload arrives on standard input.  Exit 0 means done,
# exit 100 a permanent failure, anything else a failure worth a retry.
cat >thumbnail <<'EOF'
#!/bin/sh
read -r photo
case $photo in
*flaky*)
	if [ "$SPOOL_ATTEMPT" = 1 ]; then
		echo "$photo: storage timed out" >&2
		exit 75
	fi
	;;
*corrupt*)
	echo "$photo: not an image" >&2
	exit 100
	;;
esac
echo "thumbnail of $photo done (attempt $SPOOL_ATTEMPT)"
EOF
chmod +x thumbnail

say "A queue is a directory.  This one retries after at most 1 s."
step spool init thumbs --max-attempts 3 --backoff 1s:2s

say "Producers push work and return at once; each push prints an ID."
step spool push thumbs -m cat.jpg -m dog.jpg -m flaky.jpg -m corrupt.jpg

say "A worker drains what is due: one job fails for now, one for good."
step spool run thumbs -- ./thumbnail
step spool stat thumbs

say "The failed job waits out its backoff; --follow waits with it."
step timeout 20 spool run thumbs --follow --max 1 -- ./thumbnail

say "What is left: one dead letter, and why it died."
step spool stat thumbs
step spool list thumbs --state dead
id=$(spool list thumbs --state dead 2>/dev/null |
    grep -o '[0-9a-z]\{31\}' | head -n 1)
[ -z "$id" ] || step spool show thumbs "$id"

say "Once the cause is fixed, kick it back into the queue."
step spool kick thumbs --all
step spool stat thumbs

echo
[ $pending = 0 ] || echo "($pending steps are not implemented yet.)"
if [ $failed != 0 ]; then
	echo "demo: $failed steps failed" >&2
	exit 1
fi
echo "Queues live in \$SPOOL_DIR, else ~/.local/state/spool.  See spool(1)."
