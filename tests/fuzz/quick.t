#!/bin/sh
# quick.t: the fuzzers' quick tier, as a TAP suite for tests/run (the long
# tier under SPOOL_TORTURE=long fuzzes each harness for 10 minutes).
if [ "${SPOOL_TORTURE:-quick}" = long ]; then
	exec "$(dirname "$0")/run" long
fi
exec "$(dirname "$0")/run" quick
