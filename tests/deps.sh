#!/bin/sh
# Install the Debian packages arcverify needs to build and test, only when something is
# missing, and say what is installed. Called by `make check` and `make demo`.
set -eu
need="gcc make pkg-config libssl-dev libsodium-dev check libyaml-dev dnsmasq-base mandoc"
missing=""
for p in $need; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
echo "deps: installing missing Debian packages:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: not root; run as root or install them yourself: apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
