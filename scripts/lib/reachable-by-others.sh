# Sourced by scripts/test.sh when it runs as root. Two end-to-end tests run
# the CLI as `nobody` (setpriv, or spawn's uid), because file permissions do
# not apply to root: a home of another user, an unreadable input. `nobody`
# must then reach this checkout's built files. A checkout under a 0700
# directory (what `mktemp -d` creates) hides them, and those tests would fail
# with a module loader error that says nothing about why.
#
# open_checkout_to_others: adds o+x (search, not read) to each directory
# above the checkout that lacks it, says so on stderr, and records them in
# REACHABLE_RESTORE so restore_checkout_modes can put the modes back at exit.
REACHABLE_RESTORE=()
open_checkout_to_others() {
  local dir=$PWD mode
  while [ "$dir" != / ]; do
    dir=$(dirname "$dir")
    mode=$(stat -c %a "$dir")
    if [ $(( 8#$mode & 1 )) -eq 0 ]; then
      echo "test: $dir is $mode: adding o+x for the tests that run the CLI as nobody (put back at exit)" >&2
      chmod o+x "$dir"
      REACHABLE_RESTORE+=("$mode:$dir")
    fi
  done
}
restore_checkout_modes() {
  local entry
  for entry in "${REACHABLE_RESTORE[@]}"; do chmod "${entry%%:*}" "${entry#*:}" || true; done
}
