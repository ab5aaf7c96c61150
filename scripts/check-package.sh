#!/usr/bin/env bash
# What `npm publish` would ship, installed as a user would: pack the tarball, install it into a
# fresh prefix, and run the installed `tui-chat --version` and a short `serve`. Catches a tarball
# without its build (dist/ is git-ignored) or with files it must not carry.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
listing=$(tar -tzf "$work/$tarball")
for needed in package/bin/tui-chat package/dist/src/cli/main.js package/README.md; do
  grep -qx "$needed" <<<"$listing" || { echo "check-package: $needed is missing from the tarball" >&2; exit 1; }
done
if grep -qE '^package/(spec|bench|src|dist/spec|dist/bench)/' <<<"$listing"; then
  echo "check-package: the tarball carries specs, benchmarks or sources:" >&2
  grep -E '^package/(spec|bench|src|dist/spec|dist/bench)/' <<<"$listing" | head >&2
  exit 1
fi

npm install --global --prefix "$work/prefix" --no-audit --no-fund --loglevel=error "$work/$tarball" >/dev/null
installed="$work/prefix/bin/tui-chat"
version=$("$installed" --version)
echo "check-package: installed $version from $tarball ($(wc -l <<<"$listing") files)"

# A short serve from the installed copy: it must start listening, then stop cleanly on SIGTERM.
log="$work/serve.log"
XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" "$installed" serve --port 0 --plaintext >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  grep -q 'tui-chat listening on' "$log" && break
  sleep 0.1
done
grep -q 'tui-chat listening on' "$log" || { echo "check-package: the installed serve did not start:" >&2; cat "$log" >&2; kill "$pid" 2>/dev/null; exit 1; }
kill -TERM "$pid"
wait "$pid"
echo "check-package: the installed serve started and stopped cleanly"
