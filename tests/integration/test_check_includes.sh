#!/usr/bin/env bash
# test_check_includes.sh — scripts/check-includes catches each kind of
# room violation, and passes a tree that keeps the rules.
#
# usage: test_check_includes.sh SOURCE_DIR
set -u
script=$1/scripts/check-includes
tmp=$(mktemp -d /tmp/hallq-rooms-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

put() { # path, then the lines of the file
	mkdir -p "$tmp/$(dirname "$1")"
	local f=$1
	shift
	printf '%s\n' "$@" >"$tmp/$f"
}

# A clean tree first.
put hostd/engine/ok.c '#include <stdint.h>' '#include "engine/hall.h"'
put hostd/store/ok.c '#include <sqlite3.h>' '#include "engine/hall.h"'
put drivers/modbus/ok.c '#include <modbus/modbus.h>' '#include <stdio.h>'
put firmware/core/ok.c '#include <stdint.h>' '#include "proto/regs.h"'
if out=$("$script" "$tmp"); then
	passed=$((passed + 1))
else
	echo "FAIL: clean tree refused: $out"
	failed=$((failed + 1))
fi

# Then one violation per file; each must be named with its file and line.
put hostd/engine/io.c '#include <stdint.h>' '#include <stdio.h>'
put hostd/engine/up.c '#include "store/store.h"'
put hostd/api/db.c '#include <string.h>' '#include <sqlite3.h>'
put hostd/eval/usb.c '#include <libusb-1.0/libusb.h>'
put firmware/core/heap.c '#include <stdlib.h>'
put firmware/posix/ok.c '#include <modbus.h>'
put drivers/escpos/bus.c '#include <modbus/modbus.h>'
put drivers/voice/engine.c '#include "engine/hall.h"'
out=$("$script" "$tmp")
rc=$?
expect=(
	"hostd/engine/io.c:2: <stdio.h> is not allowed in a pure room"
	"hostd/engine/up.c:1: \"store/store.h\" reaches a room"
	"hostd/api/db.c:2: <sqlite3.h> belongs to hostd/store/ hostd/eval/ only"
	"hostd/eval/usb.c:1: <libusb-1.0/libusb.h> belongs to drivers/escpos/ only"
	"firmware/core/heap.c:1: <stdlib.h> is not allowed in a pure room"
	"drivers/escpos/bus.c:1: <modbus/modbus.h> belongs to"
	"drivers/voice/engine.c:1: \"engine/hall.h\" reaches a room"
)
for e in "${expect[@]}"; do
	if grep -qF -- "$e" <<<"$out"; then
		passed=$((passed + 1))
	else
		echo "FAIL: not reported: $e"
		failed=$((failed + 1))
	fi
done
if [ "$rc" = 1 ] && [ "$(grep -c . <<<"$out")" = "${#expect[@]}" ]; then
	passed=$((passed + 1))
else
	echo "FAIL: expected exit 1 and ${#expect[@]} lines, got $rc and:"
	echo "$out"
	failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
