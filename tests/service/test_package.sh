#!/usr/bin/env bash
# test_package.sh — what `cmake --install` and `cpack -G DEB` make of this
# build (packaging/, docs/operations.md), checked without installing it:
#
# - the unit passes `systemd-analyze verify` (when systemd-analyze is
#   there), with every line as installed but ExecStart's program, which is
#   this build's hostd (verify wants it to exist);
# - the .deb's control fields: name, version, architecture, Depends naming
#   the Debian 12 packages of every library hostd and the tools link
#   (cmake/deps.cmake: the list below is written by hand, not read off the
#   package), the maintainer scripts and the conffile;
# - its files: the programs a hall needs in /usr/bin and not the test
#   tools, the config 0640 with api.web_dir at the installed pages, the
#   unit, the udev rules, /var/lib/hallq 0750, no tokens file in /etc;
# - new-tokens, which the postinst runs, makes fresh tokens 0640 that
#   hostd takes, and never overwrites a file;
# - hostd from the package checks the installed config.
#
# The full install on a clean Debian 12 (user, modes, hostd started as
# hallq) is scripts/check-package: network-bound, so not a ctest test.
#
# usage: test_package.sh BUILD_DIR SOURCE_DIR
set -u
build=$(cd "$1" && pwd)
src=$2
tmp=$(mktemp -d /tmp/hallq-package-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

check() { # name, then a command that must succeed
	local name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
		echo "ok - $name"
	else
		echo "FAIL: $name"
		failed=$((failed + 1))
	fi
}

# ---- cmake --install into a staging folder ----
DESTDIR=$tmp/stage cmake --install "$build" --prefix /usr >"$tmp/install.log" 2>&1
check "cmake --install --prefix /usr succeeds" test $? = 0
unit=$tmp/stage/lib/systemd/system/hostd.service
check "the unit is installed in /lib/systemd/system" test -f "$unit"
check "ExecStart runs /usr/bin/hostd on /etc/hallq/hall.json" \
	grep -qx 'ExecStart=/usr/bin/hostd --config /etc/hallq/hall.json' "$unit"

if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir "$tmp/verify"
	sed "s|^ExecStart=/usr/bin/hostd |ExecStart=$build/hostd/hostd |" "$unit" \
		>"$tmp/verify/hostd.service"
	check "only ExecStart's program differs from the installed unit" \
		test "$(diff "$unit" "$tmp/verify/hostd.service" | grep -c '^[<>]')" = 2
	systemd-analyze verify "$tmp/verify/hostd.service" >"$tmp/verify.out" 2>&1
	rc=$?
	check "systemd-analyze verify exits 0 ($rc)" test "$rc" = 0
	check "systemd-analyze verify has nothing to say" test ! -s "$tmp/verify.out"
	cat "$tmp/verify.out"
	# it does catch mistakes: a misspelt key and a bad value
	sed -e 's/^ProtectSystem=/ProtectSystm=/' -e 's/^RestartSec=3/RestartSec=soon/' \
		"$tmp/verify/hostd.service" >"$tmp/verify/bad.service"
	systemd-analyze verify "$tmp/verify/bad.service" >"$tmp/bad.out" 2>&1
	check "... and reports a misspelt key" grep -q "Unknown key 'ProtectSystm'" "$tmp/bad.out"
	check "... and a bad value" grep -q "Failed to parse sec value.*soon" "$tmp/bad.out"
else
	echo "skip - systemd-analyze is not installed: the unit is not verified"
fi

# ---- the .deb ----
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1
check "cpack -G DEB succeeds" test $? = 0 || cat "$tmp/cpack.log"
arch=$(dpkg --print-architecture)
version=$(sed -n 's/^project(hallq VERSION \([0-9.]*\) .*/\1/p' "$src/CMakeLists.txt")
deb=$tmp/pkg/hallq_${version}_${arch}.deb
check "the package is hallq_${version}_${arch}.deb" test -f "$deb"

field() { dpkg-deb -f "$deb" "$1"; }
check "Package: hallq" test "$(field Package)" = hallq
check "Version: $version" test "$(field Version)" = "$version"
check "Architecture: $arch" test "$(field Architecture)" = "$arch"
depends=$(field Depends)
# Debian 12's runtime package of each library in cmake/deps.cmake, and
# passwd for the postinst's useradd and procps for the unit's /bin/kill.
for p in libc6 libmodbus5 libusb-1.0-0 libcjson1 libsqlite3-0 libmicrohttpd12 libnettle8 \
	libpng16-16 libfreetype6 libqrencode4 libespeak-ng1 libsystemd0 passwd procps; do
	check "Depends names $p" grep -Eq "(^|, )$p( \(|,|$)" <<<"$depends"
done
check "Depends names no -dev package" test -z "$(grep -o '[a-z0-9.+-]*-dev' <<<"$depends")"

dpkg-deb -e "$deb" "$tmp/control"
for s in postinst prerm postrm; do
	check "$s is an executable sh script" test -x "$tmp/control/$s"
	check "$s parses (sh -n)" sh -n "$tmp/control/$s"
done
check "the conffile is /etc/hallq/hall.json alone" test "$(cat "$tmp/control/conffiles")" = /etc/hallq/hall.json
check "postinst makes the system user hallq" grep -q 'useradd --system --gid hallq' "$tmp/control/postinst"
check "postinst enables hostd.service" grep -q 'systemctl enable hostd.service' "$tmp/control/postinst"

# the file list: "mode owner/group path"
dpkg-deb -c "$deb" | awk '{print $1, $2, $6}' >"$tmp/list"
has() { # mode owner path
	grep -qxF -- "$1 $2 $3" "$tmp/list"
}
for p in hostd hallctl kiosk-fw window-fw display-fw escpos-ticket ticket-render; do
	check "/usr/bin/$p, 0755 root" has -rwxr-xr-x root/root "./usr/bin/$p"
done
for p in hallsim lineproxy; do
	check "no $p (a test tool)" test -z "$(grep "/$p\$" "$tmp/list")"
done
check "/etc/hallq/hall.json 0640" has -rw-r----- root/root ./etc/hallq/hall.json
check "no tokens file in /etc (the postinst makes fresh ones)" \
	test -z "$(grep '^.* \./etc/hallq/tokens.json$' "$tmp/list")"
check "the unit" has -rw-r--r-- root/root ./lib/systemd/system/hostd.service
check "the udev rules" has -rw-r--r-- root/root ./lib/udev/rules.d/70-hallq.rules
check "/var/lib/hallq 0750" has drwxr-x--- root/root ./var/lib/hallq/
for f in hall.html window.html ticket.html; do
	check "the page $f" has -rw-r--r-- root/root "./usr/share/hallq/web/$f"
done
check "no web/README.md" test -z "$(grep 'hallq/web/README.md' "$tmp/list")"
check "new-tokens, 0755" has -rwxr-xr-x root/root ./usr/share/hallq/new-tokens
check "the example tokens" has -rw-r--r-- root/root ./usr/share/hallq/examples/tokens.json
for d in operations security api config; do
	check "docs/$d.md" has -rw-r--r-- root/root "./usr/share/doc/hallq/$d.md"
done
check "every file is root's" test -z "$(awk '$2 != "root/root"' "$tmp/list")"

# ---- what is inside ----
dpkg-deb -x "$deb" "$tmp/root"
web=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api"]["web_dir"])' \
	"$tmp/root/etc/hallq/hall.json")
check "the config's api.web_dir is /usr/share/hallq/web ($web)" test "$web" = /usr/share/hallq/web
check "... where the pages are" test -f "$tmp/root$web/hall.html"
check "the unit in the package is the one installed" \
	cmp -s "$unit" "$tmp/root/lib/systemd/system/hostd.service"
out=$("$tmp/root/usr/bin/hostd" --check-config "$tmp/root/etc/hallq/hall.json" 2>&1)
check "the packaged hostd checks the packaged config: ok" \
	test "$out" = "$tmp/root/etc/hallq/hall.json: ok"

# new-tokens as the postinst runs it (the group: ours, not hallq)
group=$(id -gn)
"$tmp/root/usr/share/hallq/new-tokens" "$tmp/root/usr/share/hallq/examples/tokens.json" \
	"$tmp/tokens.json" "$group" >/dev/null
check "new-tokens writes the file" test -f "$tmp/tokens.json"
check "... mode 0640, group $group" test "$(stat -c '%a %G' "$tmp/tokens.json")" = "640 $group"
check "... with the example's roles, windows and names, fresh tokens of 32 hex digits" \
	python3 - "$tmp/root/usr/share/hallq/examples/tokens.json" "$tmp/tokens.json" <<'PY'
import json, re, sys
old = json.load(open(sys.argv[1]))["tokens"]
new = json.load(open(sys.argv[2]))["tokens"]
assert len(new) == len(old) == 5, (len(old), len(new))
for o, n in zip(old, new):
    assert {k: v for k, v in o.items() if k != "token"} == \
        {k: v for k, v in n.items() if k != "token"}, (o, n)
    assert re.fullmatch(r"[0-9a-f]{32}", n["token"]), n["token"]
assert len({n["token"] for n in new}) == len(new), "a token twice"
assert not {o["token"] for o in old} & {n["token"] for n in new}, "a demo token kept"
PY
"$tmp/root/usr/share/hallq/new-tokens" "$tmp/root/usr/share/hallq/examples/tokens.json" \
	"$tmp/tokens.json" "$group" 2>"$tmp/again.err"
check "new-tokens refuses to overwrite" test $? = 1
check "... and says so" grep -q "exists; not overwritten" "$tmp/again.err"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
