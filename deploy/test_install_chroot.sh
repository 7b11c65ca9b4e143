#!/usr/bin/env bash
# deploy/install.sh on a clean Debian root, twice: an install, then an upgrade that must keep
# a hall file edited in between; then systemd-analyze verify on the installed units.
# Not part of the default CI (downloads a Debian base system; minutes). As root:
#
#   deploy/test_install_chroot.sh --role server [--root /var/tmp/hall-chroot] [--keep]
#
# The result of the last run is in docs/deploy.md ("Installing with deploy/install.sh").
set -euo pipefail
cd "$(dirname "$0")/.."

ROLE=server ROOT=/var/tmp/hall-chroot KEEP=0 SUITE=bookworm
while [ $# -gt 0 ]; do
  case "$1" in
    --role) ROLE="$2"; shift 2 ;;
    --root) ROOT="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "usage: $0 --role kiosk|server [--root DIR] [--keep]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "run as root (debootstrap, chroot)" >&2; exit 1; }
case "$ROLE" in kiosk) ETC=/etc/hall-kiosk UNITS=(kiosk.service) ;;
                server) ETC=/etc/hall-server UNITS=(hall-server.service) ;;
                *) echo "--role kiosk|server" >&2; exit 2 ;; esac
started=$(date +%s)
step() { echo "== $(( $(date +%s) - started )) s: $*" >&2; }

if [ ! -x "$ROOT/usr/bin/python3" ]; then
  step "debootstrap $SUITE into $ROOT"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates,systemd "$SUITE" "$ROOT" \
    http://deb.debian.org/debian >/dev/null
fi
mounted=()
cleanup() {
  for m in "${mounted[@]}"; do umount -l "$m" 2>/dev/null || true; done
  [ "$KEEP" -eq 1 ] || rm -rf "$ROOT"
}
trap cleanup EXIT
for m in proc sys dev; do
  mount --bind "/$m" "$ROOT/$m"; mounted+=("$ROOT/$m")
done
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# pip's cache and configuration from this machine: the second install is an upgrade, not a
# second download
mkdir -p "$ROOT/root/.cache/pip" "$ROOT/src"
mount --bind "${PIP_CACHE_DIR:-$HOME/.cache/pip}" "$ROOT/root/.cache/pip"; mounted+=("$ROOT/root/.cache/pip")
[ -f /etc/pip.conf ] && cp /etc/pip.conf "$ROOT/etc/pip.conf"
# this machine's CA bundle (it may hold a TLS proxy's CA that PyPI's replies are signed with)
cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/ca-certificates.crt"

step "build the wheel"
rm -rf "$ROOT/src/dist" && mkdir -p "$ROOT/src/dist"
python3 -m pip wheel -q --no-deps -w "$ROOT/src/dist" . 2>/dev/null \
  || .venv/bin/python -m pip wheel -q --no-deps -w "$ROOT/src/dist" .
cp deploy/install.sh "$ROOT/src/install.sh"
WHEEL=$(cd "$ROOT/src/dist" && ls hall_kiosk-*.whl)

step "install.sh --role $ROLE (first install)"
chroot "$ROOT" bash /src/install.sh --role "$ROLE" --wheel "/src/dist/$WHEEL"

step "the hall edits a file"
echo "holidays = [2027-01-01]" > "$ROOT$ETC/holidays.toml"
printf '[hall]\nname = "测试政务服务中心"\n' >> "$ROOT$ETC/config.toml"

step "install.sh --role $ROLE again (upgrade)"
chroot "$ROOT" bash /src/install.sh --role "$ROLE" --wheel "/src/dist/$WHEEL"
grep -q "holidays = \[2027-01-01\]" "$ROOT$ETC/holidays.toml" || { echo "FAIL: hall file lost" >&2; exit 1; }
name=$(chroot "$ROOT" env KIOSK_ETC="$ETC" KIOSK_HOME=/tmp/check kiosk config check --json \
         | python3 -c 'import json,sys; print(json.load(sys.stdin)["hall"]["name"])')
step "hall name after upgrade (masked by config check): $name"

step "systemd-analyze verify"
# a Debian server or terminal boots systemd; a minbase root made before it was included lacks it
[ -e "$ROOT/lib/systemd/system/sysinit.target" ] || \
  chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd >/dev/null
for u in "${UNITS[@]}"; do
  out=$(systemd-analyze verify --root="$ROOT" "/etc/systemd/system/$u" 2>&1 || true)
  problems=$(echo "$out" | grep -v -e '^$' -e '/cage' || true)
  echo "$u: ${problems:-accepted}" >&2
  [ -z "$problems" ] || exit 1
done
step "PASS: installed, upgraded keeping the hall's files, units verified"
