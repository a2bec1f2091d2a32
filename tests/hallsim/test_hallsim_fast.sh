#!/usr/bin/env bash
# test_hallsim_fast.sh — hallsim fast mode as a user meets it: two days of
# the demo hall into a new database, read back with sqlite3: tickets issued
# and served, every ticket final after the day close, the journal replayed
# to the state simulated (--verify), the same seed giving the same events
# and another seed other events, the config recorded for hallctl, and bad
# options refused with exit 2 and a message naming the option.
#
# usage: test_hallsim_fast.sh HALLSIM SOURCE_DIR
set -u
hallsim=$1
src=$2
config=$src/config/hall.json
tmp=$(mktemp -d /tmp/hallq-hallsim-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

check() { # name, then a command that must succeed
	local name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
	else
		echo "FAIL: $name"
		failed=$((failed + 1))
	fi
}

# Runs hallsim with the given arguments; sets rc, out, err.
run() {
	"$hallsim" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

q() { # database, SQL: one value
	sqlite3 "$1" "$2"
}

# ---- two days, twice with one seed, once with another ----
run --fast --config "$config" --db "$tmp/a.db" --seed 7 --date 2026-03-05 --days 2 --verify
check "a 2-day run exits 0" test "$rc" = 0
[ "$rc" = 0 ] || echo "$err"
check "one line per day" test "$(grep -c '^2026-03-0[56] ' "$tmp/out")" = 2
check "the summary names issued, served, no-shows, mean wait" \
	grep -Eq '^2026-03-05 thu issued=[0-9]+ served=[0-9]+ no_shows=[0-9]+ .*mean_wait_s=[0-9]+' \
	"$tmp/out"
check "--verify replays both days" grep -q 'verify: 2 days replayed' "$tmp/out"

db=$tmp/a.db
check "tickets issued on both days" \
	test "$(q "$db" "SELECT count(DISTINCT day) FROM tickets WHERE day IN (20260305, 20260306)")" = 2
check "a realistic day: over 100 tickets" \
	test "$(q "$db" "SELECT min(n) FROM (SELECT count(*) n FROM tickets GROUP BY day)")" -gt 100
check "most tickets served" \
	test "$(q "$db" "SELECT 100 * sum(state = 'finished') / count(*) FROM tickets")" -ge 80
check "some no-shows" test "$(q "$db" "SELECT count(*) FROM tickets WHERE state = 'no_show'")" -gt 0
check "every ticket final after the close" \
	test "$(q "$db" "SELECT count(*) FROM tickets WHERE state NOT IN ('finished', 'no_show', 'cancelled', 'expired')")" = 0
check "each day closed once, by the core's rule" \
	test "$(q "$db" "SELECT group_concat(day) FROM (SELECT day FROM events WHERE op = 'close_day' ORDER BY day)")" = "20260305,20260306"
check "the close comes at the next midnight" \
	test "$(q "$db" "SELECT count(*) FROM events WHERE op = 'close_day' AND minute = 0")" = 2
check "windows logged out at the end" \
	test "$(q "$db" "SELECT count(*) FROM windows WHERE state <> 'logged_out'")" = 0
check "staff from the config sign in" \
	test "$(q "$db" "SELECT count(DISTINCT staff) FROM events WHERE op = 'login'")" = 13
check "sign-in from 08:00" \
	test "$(q "$db" "SELECT min(minute) >= 480 FROM events WHERE op = 'login'")" = 1
check "ratings, holds, pauses, recalls happen" \
	test "$(q "$db" "SELECT count(DISTINCT op) FROM events WHERE op IN ('rate', 'hold', 'call_back', 'pause', 'resume', 'recall')")" = 6
check "the config is recorded for hallctl" \
	test "$(q "$db" "SELECT value FROM meta WHERE key = 'config_path'")" = "$(realpath "$config")"
check "the config text is recorded" \
	test "$(q "$db" "SELECT value FROM meta WHERE key = 'config'")" = "$(cat "$config")"

run --fast --config "$config" --db "$tmp/b.db" --seed 7 --date 2026-03-05 --days 2
check "the same seed again exits 0" test "$rc" = 0
check "the same seed gives the same events" \
	cmp -s <(q "$tmp/a.db" "SELECT * FROM events") <(q "$tmp/b.db" "SELECT * FROM events")
check "... and the same tickets" \
	cmp -s <(q "$tmp/a.db" "SELECT * FROM tickets") <(q "$tmp/b.db" "SELECT * FROM tickets")
run --fast --config "$config" --db "$tmp/c.db" --seed 8 --date 2026-03-05 --days 2
check "another seed exits 0" test "$rc" = 0
check "another seed gives other events" \
	bash -c '! cmp -s <(sqlite3 "$1" "SELECT * FROM events") <(sqlite3 "$2" "SELECT * FROM events")' \
	_ "$tmp/a.db" "$tmp/c.db"

# a weekend: closed, each day still closed in the journal
run --fast --config "$config" --db "$tmp/w.db" --date 2026-03-07 --days 2
check "a weekend exits 0" test "$rc" = 0
check "a weekend is closed" test "$(grep -c ' closed$' "$tmp/out")" = 2
check "no tickets on a weekend" test "$(q "$tmp/w.db" "SELECT count(*) FROM tickets")" = 0

# ---- refusals ----
run --fast --config "$config" --db "$tmp/a.db" --date 2026-03-09
check "a database with a journal: exit 1" test "$rc" = 1
check "... says it holds a journal" grep -q 'already holds a journal' "$tmp/err"

bad() { # name, expected message, arguments...
	local name=$1 message=$2
	shift 2
	run "$@"
	check "$name: exit 2" test "$rc" = 2
	check "$name: says so" grep -q -- "$message" "$tmp/err"
}
bad "no --fast" "give --fast" --config "$config" --db "$tmp/x.db"
bad "no --db" "needs --config FILE and --db FILE" --fast --config "$config"
bad "no --config" "needs --config FILE and --db FILE" --fast --db "$tmp/x.db"
bad "a bad date" "--date: expected a date YYYY-MM-DD" --fast --config "$config" --db "$tmp/x.db" --date 2026-02-30
bad "a bad day count" "--days: expected a number 1 .. 3660" --fast --config "$config" --db "$tmp/x.db" --days 0
bad "a bad seed" "--seed: expected a number" --fast --config "$config" --db "$tmp/x.db" --seed -3
bad "a bad load" "--load: expected a factor" --fast --config "$config" --db "$tmp/x.db" --load 7
bad "an unknown option" "usage: hallsim" --fast --bogus
bad "a missing config" "nope.json" --fast --config "$tmp/nope.json" --db "$tmp/x.db"
# device mode's options are refused in fast mode and checked in device mode
bad "both modes" "give --fast or --devices" --fast --devices --config "$config" --db "$tmp/x.db"
bad "a device option in fast mode" "are device mode's" --fast --config "$config" --db "$tmp/x.db" --speed 60
bad "a bad speed" "--speed: expected 1 .. 3600" --devices --config "$config" --db "$tmp/x.db" --speed 0
bad "a bad --from" "--from: expected a time HH:MM" --devices --config "$config" --db "$tmp/x.db" --from 8h
bad "--until before --from" "--until must come after --from" --devices --config "$config" --db "$tmp/x.db" --from 10:00 --until 09:00
bad "--days in device mode" "device mode plays one day" --devices --config "$config" --db "$tmp/x.db" --days 2
bad "a bad report format" "--report: expected table" --devices --config "$config" --db "$tmp/x.db" --report pdf
check "nothing written for refused options" test ! -e "$tmp/x.db"

run --help
check "--help exits 0" test "$rc" = 0
check "--help shows the usage" grep -q -- '--fast --config FILE --db FILE' "$tmp/out"
run --version
check "--version names hallsim" grep -Eq '^hallsim \(hallq\) [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/out"

echo "test_hallsim_fast: $passed passed, $failed failed"
[ "$failed" = 0 ]
