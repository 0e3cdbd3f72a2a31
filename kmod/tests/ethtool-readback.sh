#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pvnic through ethtool, netdevsim style: set each value with real ethtool,
# read it back, compare; values outside the limits must be refused and
# change nothing. Prints "ok <name>" or "not ok <name>: <why>" per check.
# Usage: ethtool-readback.sh <interface>. Exit 0 pass, 1 fail, 4 skip.
set -u

dev=${1:-pvnic0}
ksft_skip=4
failed=0

command -v ethtool >/dev/null || { echo "SKIP: ethtool is not installed"; exit $ksft_skip; }

rx_usecs() { ethtool -c "$dev" | awk '/^rx-usecs:/ { print $2 }'; }
# "<RX entries> <RX Buf Len bytes>" from the "Current hardware settings" of ethtool -g.
ring() {
	ethtool -g "$dev" | awk '/^Current/ { cur = 1 } cur && /^RX:/ { n = $2 } cur && /^RX Buf Len:/ { print n, $4 }'
}
# "rx_checksum: on", names padded with spaces before the colon.
priv_flags() { ethtool --show-priv-flags "$dev" | awk -F: 'NR > 1 { gsub(/ /, ""); printf "%s%s", sep, $0; sep = "," }'; }

check() { # name expected actual
	if [ "$2" = "$3" ]; then
		echo "ok $1"
	else
		echo "not ok $1: expected '$2', got '$3'"
		failed=1
	fi
}

saved_usecs=$(rx_usecs)
saved_len=$(ring | cut -d' ' -f2)
restore() {
	ethtool -C "$dev" rx-usecs "$saved_usecs"
	ethtool -G "$dev" rx-buf-len "$saved_len"
}
trap restore EXIT

for usecs in 0 250 100000; do
	ethtool -C "$dev" rx-usecs "$usecs"
	check "rx_usecs_$usecs" "$usecs" "$(rx_usecs)"
done
ethtool -C "$dev" rx-usecs 100001 2>/dev/null
check "rx_usecs_above_max_refused" 100000 "$(rx_usecs)"
ethtool -C "$dev" tx-usecs 5 2>/dev/null && outcome=accepted || outcome=refused
check "tx_usecs_unsupported" refused "$outcome"

for entries in 2 2048; do
	ethtool -G "$dev" rx "$entries"
	check "rx_entries_$entries" "$entries $((entries * 2048))" "$(ring)"
done
ethtool -G "$dev" rx 1 2>/dev/null
check "rx_entries_below_min_refused" "2048 4194304" "$(ring)"
ethtool -G "$dev" rx 2049 2>/dev/null
check "rx_entries_above_max_refused" "2048 4194304" "$(ring)"

for len in 10000 4194304; do
	ethtool -G "$dev" rx-buf-len "$len"
	check "rx_buf_len_$len" "$(((len + 2047) / 2048)) $len" "$(ring)"
done
ethtool -G "$dev" rx-buf-len 4095 2>/dev/null
check "rx_buf_len_below_min_refused" "2048 4194304" "$(ring)"
ethtool -G "$dev" rx-buf-len 4194305 2>/dev/null
check "rx_buf_len_above_max_refused" "2048 4194304" "$(ring)"
ethtool -G "$dev" rx 4 rx-buf-len 4096 2>/dev/null
check "rx_and_rx_buf_len_disagreeing_refused" "2048 4194304" "$(ring)"

flags=gro,lro,rx_checksum,sg,tso,tx_checksum
saved_flags=$(priv_flags)
ethtool --set-priv-flags "$dev" gro on lro on rx_checksum on sg on tso on tx_checksum on
check priv_flags_all_on "${flags//,/:on,}:on" "$(priv_flags)"
ethtool --set-priv-flags "$dev" gro off lro off rx_checksum off sg off tso off tx_checksum off
check priv_flags_all_off "${flags//,/:off,}:off" "$(priv_flags)"
ethtool --set-priv-flags "$dev" rx_checksum on tso on
check priv_flags_some_on "gro:off,lro:off,rx_checksum:on,sg:off,tso:on,tx_checksum:off" "$(priv_flags)"
ethtool --set-priv-flags "$dev" $(tr ',:' '  ' <<<"$saved_flags")

exit $failed
