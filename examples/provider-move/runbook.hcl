runbook "move" {
  # The new side, empty: the stack and the files the DNS switch needs.
  step "deploy-new" {
    kind    = "apply"
    hosts   = "provider=b"
    timeout = "20m"
  }

  step "new-healthy" {
    kind     = "wait"
    hosts    = "provider=b"
    command  = ["sh", "-c", "docker ps -q --filter label=com.docker.compose.project=directory --filter health=healthy | grep -q ."]
    interval = "5s"
    timeout  = "5m"
  }

  # Trial run: dump the live database, restore it on the new side, check it, while the old
  # side keeps serving. It measures how long the real window needs (see the journal).
  step "trial-dump" {
    kind    = "exec"
    hosts   = "provider=a"
    command = ["sh", "-c", "docker compose -p directory exec -T db pg_dump -Fc -U directory directory > /var/backups/directory-trial.dump"]
    timeout = "1h"
  }

  step "trial-copy" {
    kind    = "exec"
    hosts   = "provider=b"
    command = ["sh", "-c", "ssh -o BatchMode=yes transfer@192.0.2.10 cat /var/backups/directory-trial.dump > /var/backups/directory.dump"]
    timeout = "1h"
  }

  step "trial-restore" {
    kind    = "exec"
    hosts   = "provider=b"
    command = ["sh", "-c", "docker compose -p directory exec -T db pg_restore --clean --if-exists -U directory -d directory < /var/backups/directory.dump"]
    timeout = "1h"
  }

  step "trial-verify" {
    kind     = "wait"
    url      = "http://198.51.100.10:8080/health"
    status   = "200"
    interval = "5s"
    timeout  = "5m"
  }

  step "go-no-go" {
    kind    = "confirm"
    message = "The trial restore works (its duration is in the journal). Announce the maintenance window, then continue with the real move."
  }

  # The real move: writes stop on the old side, the final dump goes over, DNS follows.
  step "old-read-only" {
    kind    = "exec"
    hosts   = "provider=a"
    command = ["docker", "compose", "-p", "directory", "stop", "api"]
    undo {
      kind    = "exec"
      command = ["docker", "compose", "-p", "directory", "start", "api"]
    }
  }

  step "dump" {
    kind    = "exec"
    hosts   = "provider=a"
    command = ["sh", "-c", "docker compose -p directory exec -T db pg_dump -Fc -U directory directory > /var/backups/directory-final.dump"]
    timeout = "1h"
  }

  step "copy" {
    kind    = "exec"
    hosts   = "provider=b"
    command = ["sh", "-c", "ssh -o BatchMode=yes transfer@192.0.2.10 cat /var/backups/directory-final.dump > /var/backups/directory.dump"]
    timeout = "1h"
  }

  step "restore" {
    kind    = "exec"
    hosts   = "provider=b"
    command = ["sh", "-c", "docker compose -p directory exec -T db pg_restore --clean --if-exists -U directory -d directory < /var/backups/directory.dump"]
    timeout = "1h"
  }

  step "verify" {
    kind     = "wait"
    url      = "http://198.51.100.10:8080/health"
    status   = "200"
    interval = "5s"
    timeout  = "5m"
  }

  step "switch-dns" {
    kind    = "confirm"
    message = "The new side has the final data. Switch directory.example.net to 198.51.100.10?"
  }

  step "dns" {
    kind    = "exec"
    hosts   = "provider=b"
    command = ["nsupdate", "-k", "/etc/berth/dns.key", "/etc/berth/dns-to-new.txt"]
    undo {
      kind    = "exec"
      command = ["nsupdate", "-k", "/etc/berth/dns.key", "/etc/berth/dns-to-old.txt"]
    }
  }

  step "dns-answers" {
    kind     = "wait"
    hosts    = "provider=b"
    command  = ["sh", "-c", "dig +short directory.example.net @ns1.example.net | grep -qx 198.51.100.10"]
    interval = "10s"
    timeout  = "10m"
  }

  step "served-by-new" {
    kind     = "wait"
    url      = "http://directory.example.net/health"
    status   = "200"
    interval = "10s"
    timeout  = "30m"
  }
}
