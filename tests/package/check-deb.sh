#!/usr/bin/env bash
# Checks a Relay .deb without installing anything on this machine:
#   - unpacked with `dpkg-deb -x` into a temporary folder;
#   - its binary runs `relay version` (which must print the package's version) and `relay --help`;
#   - every shared library the binary needs comes from a package its Depends names, or one of
#     the packages those depend on (so installing the .deb pulls in everything it needs);
#   - its desktop entry passes `desktop-file-validate` and starts the packaged binary.
# Usage: tests/package/check-deb.sh path/to/relay_X_amd64.deb
set -euo pipefail
deb=${1:?usage: check-deb.sh FILE.deb}
fail() { printf '\033[31mpackage check failed:\033[0m %s\n' "$*" >&2; exit 1; }
ok() { printf '  ok  %s\n' "$*"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/relay-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp/root"
version=$(dpkg-deb -f "$deb" Version)
package=$(dpkg-deb -f "$deb" Package)
depends=$(dpkg-deb -f "$deb" Depends)
ok "$package $version, Depends: $depends"

bin="$tmp/root/usr/bin/relay"
[ -x "$bin" ] || fail "the package has no executable usr/bin/relay"

# The packaged binary is the one that also runs the CLI: it needs no display for these.
out=$(env -u DISPLAY -u WAYLAND_DISPLAY "$bin" version) || fail "relay version failed: $out"
case "$out" in *"$version"*) ok "relay version: $out" ;; *) fail "relay version printed '$out', not $version" ;; esac
help=$(env -u DISPLAY -u WAYLAND_DISPLAY "$bin" --help) || fail "relay --help failed"
case "$help" in *"Usage: relay"*) ok "relay --help ($(printf '%s\n' "$help" | wc -l) lines)" ;; *) fail "relay --help printed no usage" ;; esac

# The closure of the Depends over the packages installed here (the build machine has them all).
names_of() { # a Depends field → one package name per line (alternatives included)
  tr ',|' '\n\n' <<<"$1" | sed -e 's/([^)]*)//g' -e 's/:any//' -e 's/^ *//' -e 's/ *$//' | awk 'NF {print $1}'
}
declare -A closure=()
queue=$(names_of "$depends")
while [ -n "$queue" ]; do
  next=""
  for p in $queue; do
    [ -n "${closure[$p]:-}" ] && continue
    closure[$p]=1
    fields=$(dpkg-query -W -f='${Depends}, ${Pre-Depends}' "$p" 2>/dev/null || true)
    # A virtual package: whatever installed package provides it.
    [ -z "$fields" ] && fields=$(dpkg-query -W -f='${Package} ${Provides}\n' 2>/dev/null | awk -v p="$p" '$0 ~ " "p"([ ,(]|$)" {printf "%s, ", $1}')
    next="$next $(names_of "$fields")"
  done
  queue=$next
done
ok "${#closure[@]} packages come with those dependencies"

missing=()
needed=$(objdump -p "$bin" | awk '/NEEDED/ {print $2}')
cache=$(ldconfig -p)
for lib in $needed; do
  path=$(awk -v l="$lib" '$1 == l && !found {print $NF; found = 1}' <<<"$cache")
  [ -n "$path" ] || fail "$lib is needed by the binary and not found on this machine"
  real=$(readlink -f "$path")
  owner=""
  for candidate in "$path" "$real" "${path#/usr}" "/usr$path" "${real#/usr}" "/usr$real"; do
    owner=$(dpkg -S "$candidate" 2>/dev/null | awk -F: 'NR == 1 {print $1}' || true)
    [ -n "$owner" ] && break
  done
  [ -n "$owner" ] || fail "no package owns $path ($lib)"
  if [ -z "${closure[$owner]:-}" ]; then missing+=("$lib ($owner)"); fi
done
[ ${#missing[@]} -eq 0 ] || fail "the binary needs libraries no dependency brings: ${missing[*]}; add their packages to bundle.linux.deb.depends"
ok "$(wc -w <<<"$needed") shared libraries, each from a dependency"

entries=("$tmp"/root/usr/share/applications/*.desktop)
[ -f "${entries[0]}" ] || fail "the package has no desktop entry"
desktop-file-validate "${entries[@]}" || fail "the desktop entry does not validate"
grep -q '^Exec=relay' "${entries[0]}" || fail "the desktop entry does not start relay"
ok "desktop entry $(basename "${entries[0]}") validates"
icons=$(find "$tmp/root/usr/share/icons" -name '*.png' | wc -l)
[ "$icons" -gt 0 ] || fail "the package has no icon"
ok "$icons icons"
