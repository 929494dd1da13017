package conn

// The agent lives in a cache directory of the SSH user, keyed by the binary's SHA-256:
// ~/.cache/berth/agent/SHA256/berth, or /var/tmp/berth-agent-UID/SHA256/berth when the
// home directory cannot execute (noexec). A directory is used only when it is owned by
// the user, not a symlink, and mode 0700, so nobody else can plant a binary there.
// The second directory's uid is looked up only when the first is not used: every command
// the start script runs is a process more on every host and run (docs/performance.md).
const agentDirs = `for d in "${HOME:-/nonexistent}/.cache/berth/agent" /var/tmp/berth-agent-; do
  case $d in /var/tmp/berth-agent-) d=$d$(id -u);; esac`

// agentStartScript runs as `sh -c SCRIPT sh BECOME UNAME=SHA256...`: it picks the hash
// for this host's architecture and execs the cached agent (through sudo -n with become),
// which then answers the hello already waiting on stdin. Otherwise it prints one marker
// line on stdout and exits: "@@berth-agent noarch ARCH" or "@@berth-agent missing ARCH".
// It never reads stdin. The architecture comes from /proc/sys/kernel/arch (Linux 6.1 and
// later; the same string as uname -m) with the shell's own read, else from uname -m.
const agentStartScript = `b=$1; shift
m=; { read -r m < /proc/sys/kernel/arch; } 2>/dev/null; [ -n "$m" ] || m=$(uname -m); h=
for a in "$@"; do case $a in "$m="*) h=${a#*=};; esac; done
if [ -z "$h" ]; then echo "@@berth-agent noarch $m"; exit 0; fi
` + agentDirs + `
  p=$d/$h/berth
  [ -f "$p" ] && [ -O "$p" ] && [ -O "$d" ] && [ ! -L "$d" ] || continue
  [ "$(stat -c %a -- "$d")" = 700 ] || continue
  if [ "$b" = 1 ]; then exec sudo -n -- "$p" agent; fi
  exec "$p" agent
done
echo "@@berth-agent missing $m"
`

// agentKeep is one more than the agent versions kept in a cache directory (tail -n +N).
const agentKeep = "4"

// agentInstallScript runs as `sh -c SCRIPT sh SHA256 SIZE` with the binary on stdin. It
// receives it into a temp file in the first usable cache directory, checks size and
// SHA-256, and checks that it runs there (` + "`berth agent --check`" + `); where it cannot
// run (noexec), it copies it to the next directory and tries again. The checked binary is
// renamed into SHA256/berth, so the start script only ever finds verified binaries. Then
// it removes all but the agentKeep most recently installed versions of that directory (a
// version removed while it runs keeps running; a berth that wants it again uploads it). It
// prints "@@berth-agent installed PATH", "@@berth-agent noexec" or "@@berth-agent error WHY".
const agentInstallScript = `umask 077
h=$1 size=$2 t=
trap '[ -z "$t" ] || rm -f -- "$t"' EXIT
` + agentDirs + `
  mkdir -p -- "$d" 2>/dev/null && [ -O "$d" ] && [ ! -L "$d" ] && chmod 700 -- "$d" || continue
  n=$(mktemp -- "$d/.upload.XXXXXX") || continue
  if [ -z "$t" ]; then
    cat > "$n" || { rm -f -- "$n"; echo "@@berth-agent error upload"; exit 0; }
    t=$n
    got=$(wc -c < "$t"); [ "$got" -eq "$size" ] || { echo "@@berth-agent error size $got"; exit 0; }
    got=$(sha256sum < "$t"); [ "${got%% *}" = "$h" ] || { echo "@@berth-agent error sha256"; exit 0; }
  else
    cp -- "$t" "$n" || { rm -f -- "$n"; continue; }
    rm -f -- "$t"; t=$n
  fi
  chmod 700 -- "$t"
  if [ "$("$t" agent --check 2>/dev/null)" = berth-agent-ok ]; then
    mkdir -p -- "$d/$h" && mv -f -- "$t" "$d/$h/berth" || { echo "@@berth-agent error rename"; exit 0; }
    t=; echo "@@berth-agent installed $d/$h/berth"
    ls -1td -- "$d"/*/ 2>/dev/null | tail -n +` + agentKeep + ` | while IFS= read -r o; do
      case $o in "$d/$h/") ;; *) rm -rf -- "$o";; esac
    done
    exit 0
  fi
done
echo "@@berth-agent noexec"
`
