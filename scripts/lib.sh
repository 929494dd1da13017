# Shared by scripts/test and scripts/demo: find Go, install the few Debian packages the
# scripts themselves use. The test bed (integration/testbed) installs the rest it needs
# (docker.io, debootstrap, busybox-static, openssl) itself, when missing.

need_go() {
  if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
    export PATH=/usr/local/go/bin:$PATH
  fi
  if ! command -v go >/dev/null 2>&1; then
    echo "error: Go is not installed. berth needs Go $(sed -n 's/^go //p' go.mod) or later on PATH (or in /usr/local/go)." >&2
    exit 1
  fi
  export GOFLAGS=${GOFLAGS:--mod=mod}
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}

need_pkgs() {  # need_pkgs CMD:PACKAGE...
  local missing=()
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing ${missing[*]} with apt..." >&2
  as_root apt-get update -q >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
}
