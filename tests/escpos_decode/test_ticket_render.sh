#!/usr/bin/env bash
# test_ticket_render.sh — tools/ticket-render from the outside: the --text
# form of hand-written ESC/POS bytes, the PNG at 58 and 80 mm (width from
# the PNG header, the QR read back with zbarimg), and one clear line on
# stderr with the documented exit code for each bad input.
#
# usage: test_ticket_render.sh PATH/TO/ticket-render WORKDIR
set -u
tool=$1
work=$2
rm -rf "$work" && mkdir -p "$work" || exit 1
cd "$work" || exit 1
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# expect STATUS STDERR-PATTERN -- ARGS...: exit status, and one stderr line matching
expect() {
	local want=$1 pattern=$2
	shift 3
	"$tool" "$@" >out.txt 2>err.txt
	local got=$?
	[[ $got == "$want" ]] || fail "ticket-render $*: exit $got, want $want ($(cat err.txt))"
	if [[ -n $pattern ]]; then
		[[ $(wc -l <err.txt) == 1 ]] || fail "ticket-render $*: want one stderr line, got: $(cat err.txt)"
		grep -q -- "$pattern" err.txt || fail "ticket-render $*: stderr '$(cat err.txt)' lacks '$pattern'"
	fi
}

png_width() { # the IHDR width, bytes 16..19 big-endian
	od -An -tu1 -j16 -N4 "$1" | awk '{print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4}'
}

# A ticket by hand: ESC @, FS &, centred bold 请 (GB18030 c7 eb), 3x A023,
# ESC d 2, the QR (model 2, module 5, ec M, store, print), GS V 66 0.
url='http://hall.example/t/A023'
n=$((${#url} + 3))
{
	printf '\x1b@\x1c&\x1ba\x01\x1bE\x01\xc7\xeb\n\x1bE\x00'
	printf '\x1d!\x22A023\n\x1d!\x00'
	printf '\x1bd\x02'
	printf '\x1d(k\x04\x00\x31\x41\x32\x00\x1d(k\x03\x00\x31\x43\x05\x1d(k\x03\x00\x31\x45\x31'
	printf "\\x1d(k\\x$(printf %02x $n)\\x00\\x31\\x50\\x30%s" "$url"
	printf '\x1d(k\x03\x00\x31\x51\x30'
	printf 'say "hi"\\\n'
	printf '\x1dVB\x00'
} >ticket.bin

cat >want.txt <<'WANT'
line w=1 h=1 bold=1 underline=0 align=center "请"
line w=3 h=3 bold=0 underline=0 align=center "A023"
feed 2
qr model=2 module=5 ec=M align=center "http://hall.example/t/A023"
line w=1 h=1 bold=0 underline=0 align=center "say \"hi\"\\"
cut partial
WANT
expect 0 '' -- ticket.bin --text
diff -u want.txt out.txt || fail "--text output differs"
[[ ! -s err.txt ]] || fail "a clean ticket gave stderr: $(cat err.txt)"

for mm in 58 80; do
	expect 0 '' -- ticket.bin -o t$mm.png --width $mm
	want=$([[ $mm == 58 ]] && echo 384 || echo 576)
	[[ $(png_width t$mm.png) == "$want" ]] || fail "$mm mm: PNG $(png_width t$mm.png) wide, want $want"
	got=$(zbarimg --raw -q t$mm.png 2>/dev/null)
	[[ $got == "$url" ]] || fail "$mm mm: zbarimg read '$got', want '$url'"
done

# unknown commands: decoded, a warning, exit 0
printf 'A\x1b\x99B\n' >unknown.bin
expect 0 'warning: unknown.bin: 1 unknown command skipped (the first: ESC 0x99 at byte 1)' -- unknown.bin --text
grep -qx 'line w=1 h=1 bold=0 underline=0 align=left "AB"' out.txt || fail "unknown.bin: $(cat out.txt)"

# bad inputs: exit 1, one line
expect 1 'cannot read missing.bin: No such file or directory' -- missing.bin -o x.png
: >empty.bin
expect 1 'empty.bin is empty' -- empty.bin -o x.png
printf 'X\x1d(k\x05\x00\x31' >truncated.bin
expect 1 'truncated.bin: the data ends inside GS ( k at byte 1' -- truncated.bin -o x.png
[[ ! -e x.png ]] || fail "a failed decode wrote a picture"
expect 1 'the font /nonexistent/font.ttc cannot be read' -- ticket.bin -o x.png --font /nonexistent/font.ttc
expect 1 'cannot write the PNG /nonexistent/dir/x.png' -- ticket.bin -o /nonexistent/dir/x.png

# usage errors: exit 2
expect 2 'no input file' --
expect 2 'nothing to do' -- ticket.bin
expect 2 'the paper width is 58 or 80, not 70' -- ticket.bin -o x.png --width 70
expect 2 'unknown option --colour' -- ticket.bin --colour
expect 2 'this option needs a value: -o' -- ticket.bin -o
expect 0 '' -- --help
grep -q '^usage: ticket-render' out.txt || fail "--help prints no usage"

if [[ $failures != 0 ]]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "ticket_render_cli: all checks passed"
