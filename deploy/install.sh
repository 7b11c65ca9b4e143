#!/usr/bin/env bash
# Install (or upgrade) a hall kiosk or a hall server on Debian 12 / Ubuntu 24.04 from the wheel:
#
#   sudo deploy/install.sh --role kiosk  [--wheel dist/hall_kiosk-*.whl] [--user kiosk]
#   sudo deploy/install.sh --role server [--wheel …] [--user hall]
#
# What it does, each step safe to run again (an upgrade keeps the hall's files and data):
#   1. Debian packages the role needs (cage + xwayland for the kiosk session, Mesa, fonts …)
#   2. a system user (kiosk: groups video, input, dialout, plugdev)
#   3. a virtual environment in /opt/hall-kiosk with the wheel and its extra, `kiosk` on PATH
#   4. the state folder /var/lib/hall-kiosk | /var/lib/hall-server (mode 0700, the user's)
#   5. the hall's folder /etc/hall-kiosk | /etc/hall-server (`kiosk config init`: files already
#      there are kept)
#   6. the systemd unit(s) (`kiosk install-units`), udev rules for the kiosk's devices
# Without --wheel it builds one from the checkout this script is in.
# --dry-run prints the commands instead of running them. docs/deploy.md has the walk-through.
set -euo pipefail

ROLE="" WHEEL="" USER_NAME="" PREFIX="/opt/hall-kiosk" DRY_RUN=0 APT=1
usage() {
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --role) ROLE="${2:-}"; shift 2 ;;
    --wheel) WHEEL="${2:-}"; shift 2 ;;
    --user) USER_NAME="${2:-}"; shift 2 ;;
    --prefix) PREFIX="${2:-}"; shift 2 ;;
    --no-apt) APT=0; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h|--help) usage ;;
    *) echo "install.sh: unknown argument $1" >&2; usage ;;
  esac
done
case "$ROLE" in
  kiosk) STATE=/var/lib/hall-kiosk; USER_NAME="${USER_NAME:-kiosk}"
         GROUPS_EXTRA=(video input dialout plugdev)
         APT_PACKAGES=(python3-venv cage xwayland fonts-wqy-microhei fonts-droid-fallback
                       libgl1 libegl1 libegl-mesa0 libgl1-mesa-dri espeak-ng libusb-1.0-0 pcscd
                       python3-dev build-essential swig libpcsclite-dev) ;;  # pyscard builds
  server) STATE=/var/lib/hall-server; USER_NAME="${USER_NAME:-hall}"
          GROUPS_EXTRA=()
          APT_PACKAGES=(python3-venv) ;;
  *) echo "install.sh: --role kiosk|server is required" >&2; usage ;;
esac
if [ "$DRY_RUN" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (sudo), or with --dry-run to see the commands" >&2
  exit 1
fi

run() {  # a command, shown; with --dry-run only shown
  echo "+ $*" >&2
  [ "$DRY_RUN" -eq 1 ] || "$@"
}
as_user() {  # a command as the service user with the service's KIOSK_HOME
  run runuser -u "$USER_NAME" -- env KIOSK_HOME="$STATE" "$@"
}

# 1. Debian packages
if [ "$APT" -eq 1 ]; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    run apt-get update -qq
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

# 2. the system user
if ! id -u "$USER_NAME" >/dev/null 2>&1; then
  run useradd --system --home-dir "$STATE" --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
fi
for g in "${GROUPS_EXTRA[@]}"; do
  getent group "$g" >/dev/null || run groupadd --system "$g"
  run usermod -a -G "$g" "$USER_NAME"
done

# 3. the virtual environment and the package
[ -x "$PREFIX/bin/python" ] || run python3 -m venv "$PREFIX"
if [ -z "$WHEEL" ]; then
  SRC="$(cd "$(dirname "$0")/.." && pwd)"
  [ -f "$SRC/pyproject.toml" ] || { echo "install.sh: give --wheel FILE" >&2; exit 2; }
  BUILD="$(mktemp -d)"
  run "$PREFIX/bin/python" -m pip wheel -q --no-deps -w "$BUILD" "$SRC"
  WHEEL="$(ls "$BUILD"/hall_kiosk-*.whl 2>/dev/null | head -n1 || true)"
  [ -n "$WHEEL" ] || WHEEL="$BUILD/hall_kiosk-VERSION-py3-none-any.whl"  # --dry-run
fi
# the wheel itself always replaced (a rebuilt wheel may keep its version), then its extra
run "$PREFIX/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$WHEEL"
run "$PREFIX/bin/python" -m pip install -q --disable-pip-version-check "$WHEEL[$ROLE]"
run ln -sfn "$PREFIX/bin/kiosk" /usr/local/bin/kiosk

# 4. the state folder (kept on upgrade)
run install -d -o "$USER_NAME" -g "$USER_NAME" -m 0700 "$STATE"

# 5. the hall's own files (kept on upgrade)
run "$PREFIX/bin/kiosk" config init --role "$ROLE"

# 6. units (regenerated: they are not the hall's to edit) and udev rules
if [ "$ROLE" = kiosk ]; then
  run "$PREFIX/bin/kiosk" install-units --user "$USER_NAME" --home "$STATE"
  run install -d /etc/udev/rules.d
  echo "+ kiosk hardware udev-rules > /etc/udev/rules.d/99-hall-kiosk.rules" >&2
  [ "$DRY_RUN" -eq 1 ] || "$PREFIX/bin/kiosk" hardware udev-rules > /etc/udev/rules.d/99-hall-kiosk.rules
else
  run "$PREFIX/bin/kiosk" admin install-units --user "$USER_NAME" --home "$STATE"
  as_user "$PREFIX/bin/kiosk" admin migrate --data-dir "$STATE/server"
fi
if [ -d /run/systemd/system ]; then  # not inside a chroot or an image build
  run systemctl daemon-reload
fi

if [ "$ROLE" = kiosk ]; then
  cat >&2 <<EOF
installed. Next:
  runuser -u $USER_NAME -- env KIOSK_HOME=$STATE kiosk provision --server URL --code CODE --name NAME
  (or put a provision.json into $STATE), then:
  systemctl enable --now kiosk.service && systemctl set-default graphical.target
Hall files: /etc/hall-kiosk (kept on upgrade). State: $STATE.
EOF
else
  cat >&2 <<EOF
installed. Next: systemctl enable --now hall-server.service
Hall files: /etc/hall-server (kept on upgrade). State and SQLite: $STATE.
EOF
fi
