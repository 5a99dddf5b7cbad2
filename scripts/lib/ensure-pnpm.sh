# Sourced by the scripts: makes `pnpm` available on a fresh machine (Node and
# npm only). Corepack cannot verify pnpm's signature on every machine, so use
# npm: a global install where allowed, else npx.
PNPM_VERSION=10.34.8
if ! pnpm --version >/dev/null 2>&1; then
  echo "djc: installing pnpm ${PNPM_VERSION} with npm" >&2
  if ! npm install -g --silent "pnpm@${PNPM_VERSION}" >/dev/null 2>&1 || ! pnpm --version >/dev/null 2>&1; then
    pnpm() { npx --yes "pnpm@${PNPM_VERSION}" "$@"; }
  fi
fi
