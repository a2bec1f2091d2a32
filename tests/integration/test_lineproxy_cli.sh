#!/usr/bin/env bash
# test_lineproxy_cli.sh — lineproxy as a script meets it: --help, bad
# options (one line naming the option, exit 2), a stale symlink replaced
# and a file that is not a symlink left alone, the ready file, the stats
# file on SIGUSR1, a program opening and closing its end repeatedly (no
# hangup trouble), and SIGTERM and SIGINT: symlinks and ready file
# removed, exit 0. No check is on a duration; waits are bounded.
#
# usage: test_lineproxy_cli.sh LINEPROXY
set -u
lineproxy=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lineproxy-cli-XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
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

run() { # runs lineproxy with the arguments; sets rc and err
	"$lineproxy" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	err=$(cat "$tmp/err")
}

# bad: the option that must be named, then the arguments
bad() {
	local name=$1
	shift
	run "$@"
	check "$* exits 2" test "$rc" = 2
	check "$* says one line" test "$(wc -l <"$tmp/err")" = 1
	check "$* names $name" grep -q -- "$name" "$tmp/err"
}

wait_for() { # a command; tries it for up to 10 s
	for _ in $(seq 200); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

run --help
check "--help exits 0" test "$rc" = 0
check "--help shows the usage" grep -q -- '--master PATH --slave PATH' "$tmp/out"
run --version
check "--version exits 0" test "$rc" = 0

ok=(--master "$tmp/m" --slave "$tmp/s1" --baud 9600)
bad --frobnicate "${ok[@]}" --frobnicate
bad --baud --master "$tmp/m" --slave "$tmp/s1" --baud fast
bad --baud --master "$tmp/m" --slave "$tmp/s1" --baud 0
bad --baud --master "$tmp/m" --slave "$tmp/s1"
bad --master --slave "$tmp/s1" --baud 9600
bad --slave --master "$tmp/m" --baud 9600
bad --slave "${ok[@]}" --slave "$tmp/s1"
bad --corrupt "${ok[@]}" --corrupt 1.5
bad --drop "${ok[@]}" --drop -0.1
bad --delay "${ok[@]}" --delay 0.5
bad --delay "${ok[@]}" --delay 0.5:x
bad --bits-per-char "${ok[@]}" --bits-per-char 40
bad --seed "${ok[@]}" --seed -3
bad --stats "${ok[@]}" --stats
bad --echo-slaves "${ok[@]}" --echo-slaves=1

# A path that is a file, not a symlink, is not replaced.
echo keep >"$tmp/file"
run --master "$tmp/m" --slave "$tmp/file" --baud 9600
check "a file in the way: exit 1" test "$rc" = 1
check "a file in the way: said so" grep -q "not a symlink" "$tmp/err"
check "a file in the way: left alone" grep -q keep "$tmp/file"
check "a file in the way: no symlink left" test ! -e "$tmp/m"

# A stale symlink is replaced; the ready file comes after the symlinks.
ln -s /nonexistent/pts "$tmp/s2"
"$lineproxy" --master "$tmp/m" --slave "$tmp/s1" --slave "$tmp/s2" --baud 19200 \
	--stats "$tmp/stats" --ready "$tmp/ready" 2>"$tmp/err" &
pid=$!
check "ready file appears" wait_for test -e "$tmp/ready"
for p in m s1 s2; do
	check "$p is a symlink to a pts" test -L "$tmp/$p" -a -c "$tmp/$p"
done
check "stale symlink replaced" test "$(readlink "$tmp/s2")" != /nonexistent/pts
check "ends are distinct" test "$(readlink "$tmp/s1")" != "$(readlink "$tmp/s2")"

# An end opened and closed again and again (a device restarting) does not
# upset the line: it still carries frames afterwards.
for _ in 1 2 3 4 5; do
	: <>"$tmp/s1"
done
stty -F "$tmp/s1" raw -echo 2>/dev/null
stty -F "$tmp/m" raw -echo 2>/dev/null
exec 3<>"$tmp/s1"
exec 4<>"$tmp/m"
sleep 0.1
printf 'hello' >&4
check "a frame from the master reaches a slave" wait_for \
	bash -c "timeout 1 dd bs=5 count=1 iflag=fullblock <&3 2>/dev/null | grep -q hello"
printf 'world!' >&3
check "a frame from a slave reaches the master" wait_for \
	bash -c "timeout 1 dd bs=6 count=1 iflag=fullblock <&4 2>/dev/null | grep -q world"
exec 3>&- 4>&-
check "still running" kill -0 "$pid"

kill -USR1 "$pid"
check "SIGUSR1 writes the stats" wait_for test -s "$tmp/stats"
for name in frames bytes corrupted dropped delayed master_frames slave_frames; do
	check "stats has $name" grep -Eq "^$name: [0-9]+$" "$tmp/stats"
done
check "stats: 2 frames" grep -q '^frames: 2$' "$tmp/stats"
check "stats: 11 bytes" grep -q '^bytes: 11$' "$tmp/stats"
check "stats: 1 master frame" grep -q '^master_frames: 1$' "$tmp/stats"
check "stats: 1 slave frame" grep -q '^slave_frames: 1$' "$tmp/stats"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "SIGTERM: exit 0" test "$rc" = 0
check "SIGTERM: symlinks removed" test ! -e "$tmp/m" -a ! -L "$tmp/s1" -a ! -L "$tmp/s2"
check "SIGTERM: ready file removed" test ! -e "$tmp/ready"
check "SIGTERM: stats written" grep -q '^frames: 2$' "$tmp/stats"

"$lineproxy" --master "$tmp/m" --slave "$tmp/s1" --baud 9600 --ready "$tmp/ready" 2>/dev/null &
pid=$!
check "ready again" wait_for test -e "$tmp/ready"
kill -INT "$pid"
wait "$pid"
rc=$?
pid=
check "SIGINT: exit 0" test "$rc" = 0
check "SIGINT: symlinks removed" test ! -L "$tmp/m" -a ! -L "$tmp/s1"

echo "lineproxy_cli: $passed passed, $failed failed"
test "$failed" = 0
