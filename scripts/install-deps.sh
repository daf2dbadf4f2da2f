#!/bin/sh
# Installs the Debian 12 packages sift needs to build and test. Run as root.
set -e
PACKAGES="cmake ninja-build g++ pkg-config bison flex doctest-dev libpcap-dev tcpdump netbase \
  llvm-19-dev libbenchmark-dev iproute2 clang libclang-rt-14-dev"
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y $missing
fi
