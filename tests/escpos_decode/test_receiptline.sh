#!/usr/bin/env bash
# test_receiptline.sh — ESC/POS bytes from an independent encoder, the npm
# package receiptline (https://github.com/receiptline/receiptline), read
# back with tools/ticket-render: the Chinese text, the sizes, bold and
# underline, the QR payload and the cut must come out as receiptline was
# asked to print them, and the QR in the picture must scan.
#
# receiptline is installed on demand into NODE_DIR (in the build tree,
# never committed). It is pinned to 1.10.1: from 1.11.0 on, receiptline
# prints QR codes as raster images (GS 8 L / GS ( L) instead of the
# printer's own QR command (GS ( k), and a raster has no payload to read.
# Exit 77 (ctest: skipped) only when node or npm is missing or the npm
# registry cannot be reached.
#
# usage: test_receiptline.sh PATH/TO/ticket-render NODE_DIR
set -u
tool=$1
node_dir=$2
version=1.10.1

skip() {
	echo "SKIP: $*"
	exit 77
}
die() {
	echo "FAIL: $*"
	exit 1
}

command -v node >/dev/null || skip "node is not installed (Debian: nodejs)"
command -v npm >/dev/null || skip "npm is not installed (Debian: npm)"
mkdir -p "$node_dir" || die "cannot create $node_dir"
module=$node_dir/node_modules/receiptline
if [[ $(node -p "require('$module/package.json').version" 2>/dev/null) != "$version" ]]; then
	if ! npm install --prefix "$node_dir" --no-audit --no-fund --no-save \
		"receiptline@$version" >"$node_dir/npm.log" 2>&1; then
		timeout 30 npm ping >/dev/null 2>&1 || skip "the npm registry cannot be reached"
		cat "$node_dir/npm.log"
		die "npm install receiptline@$version failed"
	fi
fi

work=$node_dir/work
rm -rf "$work" && mkdir -p "$work" || die "cannot create $work"
url='https://hall.example/t/A023?d=20240607'

# The receipt in ReceiptLine markdown: ^^^ 2x size, "…" emphasis (bold),
# _…_ underline, {code:…; option:qrcode,6,m} a QR code of 6-dot modules at
# error correction M, = a paper cut.
cat >"$work/make.js" <<'JS'
const receiptline = require(process.argv[2]);
const doc = [
	'^^^请A023号',
	'"市政务服务大厅"',
	'_企业注册_',
	'{code:' + process.argv[3] + '; option:qrcode,6,m}',
	'前面还有 5 人',
	'=',
	'谢谢',
].join('\n') + '\n';
const bytes = receiptline.transform(doc, {
	cpl: 32, encoding: 'gb18030', command: 'escpos', cutting: false,
});
process.stdout.write(Buffer.from(bytes, 'binary'));
JS
node "$work/make.js" "$module" "$url" >"$work/receipt.bin" || die "receiptline failed"
[[ -s $work/receipt.bin ]] || die "receiptline wrote no bytes"

"$tool" "$work/receipt.bin" --text -o "$work/receipt.png" >"$work/text.txt" 2>"$work/err.txt" ||
	die "ticket-render failed: $(cat "$work/err.txt")"
[[ ! -s $work/err.txt ]] || die "unknown commands in receiptline's bytes: $(cat "$work/err.txt")"
cat "$work/text.txt"

failures=0
want_line() { # an exact line of the --text output
	grep -qxF -- "$1" "$work/text.txt" || {
		echo "FAIL: no line: $1"
		failures=$((failures + 1))
	}
}
want_line 'line w=2 h=2 bold=0 underline=0 align=left "请A023号"'
want_line 'line w=1 h=1 bold=1 underline=0 align=left "市政务服务大厅"'
want_line 'line w=1 h=1 bold=0 underline=1 align=left "企业注册"'
want_line "qr model=2 module=6 ec=M align=center \"$url\""
want_line 'line w=1 h=1 bold=0 underline=0 align=left "前面还有 5 人"'
want_line 'cut partial'
want_line 'line w=1 h=1 bold=0 underline=0 align=left "谢谢"'
# the order: the number, the QR, the cut, the last line
order=$(grep -o '^line.*"请A023号"\|^qr\|^cut\|^line.*"谢谢"' "$work/text.txt" | cut -c1-4 | tr '\n' ' ')
[[ $order == "line qr cut line " ]] || {
	echo "FAIL: items out of order: $order"
	failures=$((failures + 1))
}
got=$(zbarimg --raw -q "$work/receipt.png" 2>/dev/null)
[[ $got == "$url" ]] || {
	echo "FAIL: zbarimg read '$got' in the picture, want '$url'"
	failures=$((failures + 1))
}
[[ $failures == 0 ]] || die "$failures check(s) failed"
echo "ticket_render_receiptline: receiptline $version bytes decoded as written"
