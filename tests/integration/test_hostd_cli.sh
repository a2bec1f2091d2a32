#!/usr/bin/env bash
# test_hostd_cli.sh — hostd as an operator meets it: options, exit codes,
# --check-config output, the ready line, and a clean stop on SIGTERM and
# SIGINT with the database closed (its WAL checkpointed away).
#
# usage: test_hostd_cli.sh HOSTD SOURCE_DIR
set -u
hostd=$1
src=$2
tmp=$(mktemp -d /tmp/hallq-cli-XXXXXX)
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

# Runs hostd with the given arguments; sets rc, out, err.
run() {
	"$hostd" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

run --version
check "--version exits 0" test "$rc" = 0
check "--version names hostd" grep -Eq '^hostd \(hallq\) [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/out"

run --help
check "--help exits 0" test "$rc" = 0
check "--help lists --check-config" grep -q -- '--check-config FILE' "$tmp/out"

run
check "no --config exits 2" test "$rc" = 2
check "no --config says so" grep -q -- '--config FILE is required' "$tmp/err"

run --config "$src/config/hall.json" --log-level loud
check "bad --log-level exits 2" test "$rc" = 2

run --check-config "$src/config/hall.json"
check "demo hall passes" test "$rc" = 0
check "demo hall prints FILE: ok" test "$out" = "$src/config/hall.json: ok"

# Two faults; the expected lines are written out by hand from docs/config.md.
sed -e 's/"prefix": "B"/"prefix": "A"/' \
	-e 's/"number": 13,/"number": 12,/' "$src/config/hall.json" >"$tmp/bad.json"
run --check-config "$tmp/bad.json"
check "bad hall exits 2" test "$rc" = 2
expected="$tmp/bad.json:services[1].prefix: duplicate ticket prefix \"A\", already used by services[0]
$tmp/bad.json:windows[12].number: duplicate window number 12, already used by windows[11]"
check "bad hall prints both errors" test "$out" = "$expected"
check "bad hall counts errors" grep -q "bad.json: 2 errors" "$tmp/err"

run --check-config "$tmp/missing.json"
check "missing config exits 2" test "$rc" = 2
check "missing config says why" test "$out" = "$tmp/missing.json: cannot open: No such file or directory"

run --config "$tmp/bad.json" --db "$tmp/never.db"
check "hostd refuses a bad config" test "$rc" = 2
check "... and names the field" grep -q 'windows\[12\].number' "$tmp/err"
check "... and creates no database" test ! -e "$tmp/never.db"

# hostd serves the demo hall from a copy whose tokens file only this user
# may read: it refuses one that others may read, as a checkout's may be.
mkdir "$tmp/demo"
cp "$src/config/hall.json" "$tmp/demo/hall.json"
install -m 600 "$src/config/tokens.json" "$tmp/demo/tokens.json"
demo=$tmp/demo/hall.json

# Starts hostd, waits for its ready line, sends a signal, checks the stop.
serve_and_stop() { # signal
	local sig=$1 db="$tmp/hall-$1.db" pid line=
	"$hostd" --config "$demo" --db "$db" >"$tmp/serve.out" 2>"$tmp/serve.err" &
	pid=$!
	for _ in $(seq 1 100); do
		line=$(head -n 1 "$tmp/serve.out")
		[ -n "$line" ] && break
		sleep 0.1
	done
	check "$sig: ready line" test "$line" = "hostd ready: hall \"市政务服务中心\", database $db"
	check "$sig: database created in WAL mode" test "$(sqlite3 "$db" 'PRAGMA journal_mode')" = wal
	kill -s "$sig" "$pid"
	wait "$pid"
	check "$sig: exit status 0" test $? = 0
	check "$sig: stop logged" grep -q "$sig received, stopping" "$tmp/serve.err"
	check "$sig: database closed (no WAL file left)" test ! -e "$db-wal"
	check "$sig: schema version 6" test "$(sqlite3 "$db" 'PRAGMA user_version')" = 6
	# the config it ran with is recorded, but not the staff PINs
	sqlite3 "$db" "SELECT value FROM meta WHERE key = 'config'" >"$tmp/recorded.json"
	check "$sig: the config it ran with is recorded, PINs masked" python3 - "$demo" "$tmp/recorded.json" <<'PY'
import json, sys
given = json.load(open(sys.argv[1], encoding="utf-8"))
recorded = json.load(open(sys.argv[2], encoding="utf-8"))
assert all(s["pin"] == "0000" for s in recorded["staff"]), "a PIN is recorded"
for s in given["staff"]:
    s["pin"] = "0000"
assert given == recorded, "the recorded config differs"
PY
}
serve_and_stop TERM
serve_and_stop INT

sqlite3 "$tmp/hall-TERM.db" 'PRAGMA user_version = 42'
run --config "$demo" --db "$tmp/hall-TERM.db"
check "newer schema exits 1" test "$rc" = 1
check "newer schema says so" grep -q 'schema version 42 is newer than this hostd knows' "$tmp/err"

JOURNAL_STREAM=8:1234 "$hostd" --config "$demo" --db "$tmp/hall-TERM.db" \
	>/dev/null 2>"$tmp/err"
check "under systemd, errors carry the journal level <3>" grep -q '^<3>.*newer than' "$tmp/err"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
