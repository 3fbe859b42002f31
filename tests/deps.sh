#!/usr/bin/env bash
# Installs the Debian packages rdbpipe builds, tests and benchmarks with,
# when any is missing.  Debian 12 is the reference system; run as root (or
# with sudo available) so apt-get can install.
set -eu
pkgs="build-essential pkg-config libhiredis-dev liblzma-dev libsodium-dev
libcurl4-openssl-dev libzstd-dev zstd libssl-dev openssl zlib1g-dev bats bats-assert
bats-support parallel age xz-utils python3-prometheus-client
redis-server redis-tools jq mandoc clang libclang-rt-14-dev libfuzzer-14-dev
curl util-linux time hyperfine procps iproute2 python3
swift swift-proxy swift-object swift-container swift-account
swift-object-expirer memcached python3-swiftclient
keystone python3-keystonemiddleware python3-keystoneclient"

missing=
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing" >&2
sudo=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "deps: need root to install:$missing" >&2; exit 1; }
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# Packaged daemons (redis, memcached, swift, keystone) must not be started by
# the install: the suites start their own throwaway servers.
pol=/usr/sbin/policy-rc.d
made_pol=
if [ ! -e "$pol" ]; then
	printf '#!/bin/sh\nexit 101\n' | $sudo tee "$pol" >/dev/null
	$sudo chmod 755 "$pol"
	made_pol=1
fi
trap '[ -n "$made_pol" ] && $sudo rm -f "$pol"' EXIT
log=$(mktemp)
# shellcheck disable=SC2086
if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends $missing; } >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	echo "deps: apt-get failed" >&2
	rm -f "$log"
	exit 1
fi
rm -f "$log"
