#!/usr/bin/env bash
# test_check_sql.sh — scripts/check-sql passes the SQLite rooms as they
# are and catches each way of building SQL from text, each put into a
# copy of hostd/store and hostd/eval.
#
# usage: test_check_sql.sh SOURCE_DIR
set -u
src=$1
script=$src/scripts/check-sql
tmp=$(mktemp -d /tmp/hallq-sql-XXXXXX)
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

fresh() {
	rm -rf "$tmp/hostd"
	mkdir -p "$tmp/hostd"
	cp -r "$src/hostd/store" "$src/hostd/eval" "$tmp/hostd/"
}

# mutate FILE PYTHON-OLD PYTHON-NEW: one exact replacement, or the test fails
mutate() {
	python3 - "$tmp/$1" "$2" "$3" <<'PY'
import sys
path, old, new = sys.argv[1:]
text = open(path).read()
assert text.count(old) == 1, "not once in %s: %r" % (path, old)
open(path, "w").write(text.replace(old, new))
PY
}

caught() { # name, expected text in the output
	local out
	out=$("$script" "$tmp")
	local rc=$?
	check "$1: exit 1" test "$rc" = 1
	check "$1: says \"$2\"" grep -qF -- "$2" <<<"$out"
}

fresh
check "the rooms as they are pass" "$script" "$tmp"

fresh
mutate hostd/eval/db.c \
	'	static const char sql[] = "UPDATE complaints SET status = ?, closed_day = ?, note = ?"' \
	'	char sql[200]; /* built */
	snprintf(sql, sizeof(sql), "UPDATE complaints SET note = %s", note);
	static const char unused[] = "UPDATE complaints SET status = ?, closed_day = ?, note = ?"'
caught "a printf into a buffer" "a writable SQL buffer or a printf into one"

fresh
mutate hostd/store/store.c 'sqlite3_prepare_v2(st->db, sql, -1, &q, NULL), ret = 0;' \
	'sqlite3_prepare_v2(st->db, zSql, -1, &q, NULL), ret = 0;'
caught "a statement from a variable" 'a statement from "zSql"'

fresh
mutate hostd/store/store.c 'sqlite3_prepare_v2(st->db, "SELECT value FROM secrets WHERE name = ?", -1, &q, NULL);' \
	'sqlite3_prepare_v2(st->db, sqlite3_mprintf("SELECT value FROM secrets WHERE name = %Q", name), -1, &q, NULL);'
caught "sqlite3_mprintf" "SQL built with a printf"

fresh
mutate hostd/eval/db.c 'ret = row_exists(ev, "SELECT 1 FROM windows WHERE number = ?1", number, NULL, 0,' \
	'ret = row_exists(ev, query, number, NULL, 0,'
caught "a helper given a variable" 'row_exists() called with "query"'

fresh
mutate hostd/eval/records.c 'rc = exec(ev, "BEGIN IMMEDIATE", err, err_size);' \
	'rc = exec(ev, text, err, err_size);'
caught "exec() given a variable" 'exec() called with "text"'

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
