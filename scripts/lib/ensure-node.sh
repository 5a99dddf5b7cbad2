# Sourced by the scripts (example, test, bench): makes `node` a supported
# Node.js. djc supports the maintained LTS lines, Node 22 (22.15 or newer:
# node:sqlite without a flag and with better-sqlite3's binding rules) and Node 24. When the Node on PATH is older (or
# missing), this fetches the official binary from the npm registry (package
# node-<os>-<arch>, ~10 s once) into .cache/node/<version>/ (gitignored) and
# puts it first on PATH for the rest of the script; processes djc starts use
# process.execPath, so they follow. npm_config_nodedir points native builds,
# if any, at that Node's own headers (not the system Node's).
#
#   DJC_NODE_VERSIONS   the versions CI tests on, oldest first
#   DJC_NODE_DEFAULT    the one fetched when the Node on PATH is too old (newest LTS)
#   djc_node_bin VER    prints the bin dir of Node VER, fetching it when missing
#   djc_use_node VER    puts Node VER first on PATH (and its headers in npm_config_nodedir)
DJC_NODE_MIN=22.15.0
DJC_NODE_VERSIONS=(22.23.5 24.22.3)
DJC_NODE_DEFAULT=24.22.3
DJC_NODE_CACHE="${DJC_NODE_CACHE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.cache/node}"

# djc_version_ge A B: A >= B for dotted versions (v prefix allowed).
djc_version_ge() {
  local IFS=.
  local -a a=(${1#v}) b=(${2#v})
  for i in 0 1 2; do
    (( ${a[i]:-0} > ${b[i]:-0} )) && return 0
    (( ${a[i]:-0} < ${b[i]:-0} )) && return 1
  done
  return 0
}

djc_node_platform() {
  local os arch
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) return 1 ;; esac
  case "$(uname -m)" in x86_64 | amd64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) return 1 ;; esac
  echo "$os-$arch"
}

djc_node_bin() {
  local version=$1 platform dest tmp
  dest="$DJC_NODE_CACHE/$version"
  if [ -x "$dest/bin/node" ]; then echo "$dest/bin"; return 0; fi
  platform=$(djc_node_platform) || { echo "djc: no Node.js binary package for $(uname -sm); install Node 22.15+ or 24 yourself" >&2; return 1; }
  echo "djc: fetching Node.js $version from the npm registry (node-$platform) into ${dest#"$PWD"/}" >&2
  mkdir -p "$DJC_NODE_CACHE"
  tmp=$(mktemp -d "$DJC_NODE_CACHE/.fetch-XXXXXX")
  if ! npm install --prefix "$tmp" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "node-$platform@$version" >&2; then
    rm -rf "$tmp"
    echo "djc: could not fetch node-$platform@$version with npm; install Node 22.15+ or 24 yourself" >&2
    return 1
  fi
  # Another run may have fetched it meanwhile: keep the first, drop ours.
  [ -e "$dest" ] || mv "$tmp/node_modules/node-$platform" "$dest"
  rm -rf "$tmp"
  "$dest/bin/node" --version >/dev/null || return 1
  echo "$dest/bin"
}

djc_use_node() {
  local bin
  bin=$(djc_node_bin "$1") || return 1
  export PATH="$bin:$PATH"
  export npm_config_nodedir="${bin%/bin}"
  hash -r
}

# The Node on PATH if supported, else the newest supported LTS from npm.
djc_current_node=$(node --version 2>/dev/null || echo none)
if [ "$djc_current_node" = none ] || ! djc_version_ge "$djc_current_node" "$DJC_NODE_MIN"; then
  echo "djc: Node.js $djc_current_node is older than $DJC_NODE_MIN (djc supports Node 22.15+ and 24); using Node $DJC_NODE_DEFAULT from npm" >&2
  djc_use_node "$DJC_NODE_DEFAULT" || return 1
fi
unset djc_current_node
