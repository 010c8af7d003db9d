#!/usr/bin/env bash
# Runs the README's two commands on a fresh Debian 12 (bookworm) system, as a new
# user would: debootstraps a minimal root under /tmp, clones the commit into it,
# and runs each command inside with chroot, printing its time and result.
# Packages installed by hand on this machine cannot hide a missing install step.
#
#   scripts/check-fresh-machine.sh [COMMIT]     (default: HEAD; needs root)
#
# Environment: TWEEDIE_FRESH_ROOT (default /tmp/tweedie-fresh-<pid>),
# TWEEDIE_FRESH_KEEP=1 keeps the root afterwards, DEBIAN_MIRROR (default
# http://deb.debian.org/debian).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
commit=$(git rev-parse "${1:-HEAD}")
root=${TWEEDIE_FRESH_ROOT:-/tmp/tweedie-fresh-$$}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
[ "$(id -u)" -eq 0 ] || { echo "check-fresh-machine.sh: needs root (debootstrap, chroot, mount)"; exit 2; }
command -v debootstrap >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}

# The README's two commands: the first two lines of its first ```sh block,
# comments stripped, so this checks what the README really says.
mapfile -t commands < <(awk '/^```sh/{inside=1; next} /^```/{if (inside) exit} inside' README.md |
  sed 's/[[:space:]]*#.*$//' | grep -v '^[[:space:]]*$' | head -n 2)
[ ${#commands[@]} -eq 2 ] || { echo "check-fresh-machine.sh: README.md does not start with two commands"; exit 2; }

mounted=()
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
  if [ "${TWEEDIE_FRESH_KEEP:-0}" != 1 ]; then rm -rf --one-file-system "$root"; fi
}
trap cleanup EXIT

elapsed() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

echo "==== debootstrap bookworm (minbase) into $root"
start=$SECONDS
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
  { tail -20 "$root.debootstrap.log"; exit 1; }
rm -f "$root.debootstrap.log"
echo "     $(elapsed $((SECONDS - start)))"
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
EOF
cp /etc/resolv.conf "$root/etc/resolv.conf"

# The system's own /dev stays out of reach: a tmpfs with the usual nodes, so a
# test that removed or replaced a device could not harm this machine's.
mount -t proc proc "$root/proc" && mounted+=("$root/proc")
mount -t sysfs sys "$root/sys" && mounted+=("$root/sys")
mount -t tmpfs -o mode=755 dev "$root/dev" && mounted+=("$root/dev")
for node in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
  set -- $node
  mknod -m 666 "$root/dev/$1" c "$2" "$3"
done
mkdir -p "$root/dev/shm" "$root/dev/pts"
mount -t tmpfs -o mode=1777 shm "$root/dev/shm" && mounted+=("$root/dev/shm")
ln -s /proc/self/fd "$root/dev/fd"
for i in 0 1 2; do ln -s "/proc/self/fd/$i" "$root/dev/$(echo stdin stdout stderr | cut -d' ' -f$((i + 1)))"; done

echo "==== clone $commit into $root/tweedie"
git clone -q --no-hardlinks "$repo" "$root/tweedie"
git -C "$root/tweedie" checkout -q "$commit"

status=0
summary=()
for command in "${commands[@]}"; do
  echo "==== $command"
  start=$SECONDS
  if chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      HOME=/root LANG=C.UTF-8 TERM=dumb /bin/bash -c "cd /tweedie && $command" \
      >"$root/last-command.log" 2>&1; then
    result=passed
  else
    result="FAILED (exit $?)"
    status=1
  fi
  log=${root}-$((${#summary[@]} + 1)).log
  cp "$root/last-command.log" "$log"
  tail -n 15 "$log"
  if [ "$result" != passed ]; then
    # What failed, with ctest's output of it: the log itself outlives the root.
    grep -E -A25 "^The following tests FAILED|\*\*\*Failed|Error" "$log" | head -n 80 || true
  fi
  echo "     (whole output: $log)"
  summary+=("$(printf '%-18s %-10s %s' "$command" "$(elapsed $((SECONDS - start)))" "$result")")
done
echo "==== fresh bookworm root, commit ${commit:0:12}"
printf '%s\n' "${summary[@]}"
exit $status
