#!/usr/bin/env bash
# Makes sure a headless-capable Chromium is installed for djc's browser tests
# (the run report now, the dashboard later): installs Debian's `chromium`
# package when missing (about a minute, as root), as scripts/slurm/up.sh
# installs Slurm. Browser builds that npm packages download (puppeteer's,
# playwright's `install`) are not used: the tests drive this binary through
# puppeteer-core (packages/cli/test/browser.ts), by executablePath.
# Idempotent: when the browser is there it only checks. Prints its path.
#
#   DJC_CHROMIUM=/path/to/chrome  use this binary instead (nothing installed)
set -euo pipefail

say() { echo "ensure-chromium: $*" >&2; }
die() { say "$*"; exit 1; }

if [ -n "${DJC_CHROMIUM:-}" ]; then
  [ -x "$DJC_CHROMIUM" ] || die "DJC_CHROMIUM=$DJC_CHROMIUM is not an executable file"
  echo "$DJC_CHROMIUM"
  exit 0
fi

for candidate in /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -x "$candidate" ]; then
    echo "$candidate"
    exit 0
  fi
done

[ "$(id -u)" = 0 ] || die "chromium is not installed and installing it needs root; run: sudo apt-get install -y chromium (or set DJC_CHROMIUM to a Chrome/Chromium binary)"
command -v apt-get >/dev/null || die "chromium is not installed and this is not a Debian-like system; install Chrome or Chromium and set DJC_CHROMIUM to its binary"
say "installing Debian's chromium package (about a minute)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium >/dev/null
[ -x /usr/bin/chromium ] || die "apt-get installed chromium but /usr/bin/chromium is missing"
echo /usr/bin/chromium
