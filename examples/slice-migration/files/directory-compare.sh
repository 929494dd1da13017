#!/bin/sh
# directory-compare PATH: exit 0 when directory-legacy (port 8080) and this host's replica of
# directory-next answer PATH with the same body. Uses curl, or python3 where curl is missing.
set -u
path=${1:-/users/count}
get() {
  if command -v curl >/dev/null 2>&1; then curl -fsS --max-time 10 "$1"; return; fi
  python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "$1"
}
new=$(docker ps -q --filter label=com.docker.compose.project=directory-next --filter label=com.docker.compose.service=api | head -n1)
[ -n "$new" ] || { echo "no directory-next api container" >&2; exit 1; }
port=$(docker port "$new" 8080/tcp | head -n1 | sed 's/.*://')
[ -n "$port" ] || { echo "directory-next publishes no port for 8080" >&2; exit 1; }
old_body=$(get "http://127.0.0.1:8080$path") || exit 1
new_body=$(get "http://127.0.0.1:$port$path") || exit 1
[ "$old_body" = "$new_body" ] || { echo "legacy says '$old_body', directory-next on $port says '$new_body'" >&2; exit 1; }
echo "same answer on 8080 and $port: $new_body"
