#!/bin/sh
# test_eval_fixture.sh — eval_fixture builds a database from a script, stops
# at the first refused command with "SCRIPT:LINE: NAME" (writing nothing of
# that script), and says how it is used.
#
# usage: test_eval_fixture.sh EVAL_FIXTURE SOURCE_DIR
set -u
fixture=$1
src=$2
tmp=$(mktemp -d /tmp/hallq-eval-fixture-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
status=0
check() { # what, command's result
	if [ "$2" != 0 ]; then
		echo "FAIL: $1"
		status=1
	fi
}

cat >"$tmp/day.txt" <<'SCRIPT'
# one window, one ticket
day 2026-03-02
08:25 login 1 1001
08:40 issue company
08:45 call_next 1
08:46 start 1
09:00 finish 1   # handling 14 min
09:00:30 rate A001 2
day 2026-03-03   # closes the 2nd at 00:00:00 of the 3rd
08:20 login 1 1001
SCRIPT
"$fixture" --config "$src/config/hall.json" --db "$tmp/a.db" "$tmp/day.txt"
check "a valid script builds" $?
sqlite3 "$tmp/a.db" "SELECT op FROM events ORDER BY id" | tr '\n' ' ' >"$tmp/ops"
[ "$(cat "$tmp/ops")" = "login issue call_next start finish rate close_day login " ]
check "the journal holds every command and the day change: $(cat "$tmp/ops")" $?
[ "$(sqlite3 "$tmp/a.db" "SELECT day, minute FROM events WHERE op = 'close_day'")" = "20260302|0" ]
check "close_day is journalled under the day it closes, at 00:00" $?
[ "$(sqlite3 "$tmp/a.db" "SELECT handling_s FROM tickets WHERE ticket = 'A001'")" = 840 ]
check "the ticket's projection is written" $?

printf 'day 2026-03-04\n08:00 login 1 1001\n08:01 call_next 1\n' >"$tmp/bad.txt"
out=$("$fixture" --config "$src/config/hall.json" --db "$tmp/a.db" "$tmp/bad.txt" 2>&1)
[ $? = 1 ] && [ "$out" = "$tmp/bad.txt:3: NO_TICKET_WAITING" ]
check "a refused command stops the build: $out" $?
[ "$(sqlite3 "$tmp/a.db" "SELECT count(*) FROM events WHERE day = 20260304")" = 0 ]
check "nothing of a failed script is written" $?

out=$(printf 'day 2026-03-04\n08:00 lgoin 1 1001\n' |
	"$fixture" --config "$src/config/hall.json" --db "$tmp/a.db" - 2>&1)
[ $? = 1 ] && [ "$out" = '-:2: unknown operation "lgoin"' ]
check "a line that does not parse: $out" $?

"$fixture" --config "$src/config/hall.json" "$tmp/day.txt" 2>/dev/null
[ $? = 2 ]
check "usage: exit 2" $?
exit $status
