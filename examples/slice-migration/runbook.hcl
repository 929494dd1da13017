# The brief's 8 slices: the directory service, installed on dir-1 and dir-2 under systemd as
# "directory-legacy" (listening on 8080, files in /opt/directory-legacy) and reached through a
# hand-written HAProxy configuration on lb-1, becomes the container stack directory-next:
# a server on a new port, the balancer switched, the old server stopped, its source removed.
# Every slice but the checks has an undo; `berth runbook undo migrate` walks them back.
# After a stop, `berth runbook run migrate` resumes at the step that failed.

runbook "migrate" {
  # Slice 1: the new server, on a new port picked by the scheduler (20000-20999).
  step "slice-1-deploy" {
    kind    = "apply"
    targets = ["docker", "syslog", "file./usr/local/sbin/directory-compare", "stack.directory-next"]
    timeout = "15m"
    undo {
      kind    = "exec"
      hosts   = "role=directory"
      command = ["sh", "-c", "docker ps -q --filter label=com.docker.compose.project=directory-next | xargs -r docker stop"]
    }
  }

  # Slice 2: it runs healthy on both hosts.
  step "slice-2-healthy" {
    kind     = "wait"
    hosts    = "role=directory"
    command  = ["sh", "-c", "docker ps -q --filter label=com.docker.compose.project=directory-next --filter health=healthy | grep -q ."]
    interval = "5s"
    timeout  = "5m"
  }

  # Slice 3: the new server answers like the old one, on each host.
  step "slice-3-compare" {
    kind     = "wait"
    hosts    = "role=directory"
    command  = ["directory-compare", "/users/count"]
    interval = "10s"
    timeout  = "5m"
  }

  step "slice-3-ok" {
    kind    = "confirm"
    message = "directory-next answers like directory-legacy on dir-1 and dir-2. Switch the balancer to it?"
  }

  # Slice 4: keep the hand-written balancer configuration, for the undo of slice 5.
  step "slice-4-keep-lb-config" {
    kind    = "exec"
    hosts   = "role=lb"
    command = ["cp", "-n", "/etc/haproxy/haproxy.cfg", "/etc/haproxy/haproxy.cfg.legacy"]
  }

  # Slice 5: the balancer switched: berth's configuration replaces the hand-written one (the
  # plan, printed and journaled, names the servers moved from 8080 to the new ports).
  step "slice-5-switch" {
    kind    = "apply"
    hosts   = "role=lb"
    timeout = "10m"
    undo {
      kind    = "exec"
      hosts   = "role=lb"
      command = ["sh", "-c", "cp /etc/haproxy/haproxy.cfg.legacy /etc/haproxy/haproxy.cfg && systemctl reload haproxy"]
    }
  }

  step "slice-5-verify" {
    kind     = "wait"
    url      = "${var.edge_url}/health"
    status   = "200"
    interval = "2s"
    timeout  = "2m"
  }

  # Slice 6: a canary on one replica first: dir-2's replica drained, dir-1's takes it all.
  step "slice-6-canary" {
    kind     = "balancer"
    balancer = "edge"
    stack    = "directory-next"
    hosts    = "dir-2"
    action   = "drain"
    undo {
      kind     = "balancer"
      balancer = "edge"
      stack    = "directory-next"
      action   = "ready"
    }
  }

  step "slice-6-ok" {
    kind    = "confirm"
    message = "dir-1's directory-next takes all traffic. Check the dashboards, then continue."
  }

  step "slice-6-ready" {
    kind     = "balancer"
    balancer = "edge"
    stack    = "directory-next"
    hosts    = "dir-2"
    action   = "ready"
  }

  # Slice 7: the old server stopped.
  step "slice-7-stop-old" {
    kind    = "service"
    hosts   = "role=directory"
    service = "directory-legacy"
    action  = "stop"
    undo {
      kind    = "service"
      service = "directory-legacy"
      action  = "start"
    }
  }

  step "slice-7-verify" {
    kind     = "wait"
    url      = "${var.edge_url}/health"
    status   = "200"
    interval = "2s"
    timeout  = "2m"
  }

  step "slice-8-ok" {
    kind    = "confirm"
    message = "directory-legacy is stopped and the service answers. Remove its source?"
  }

  # Slice 8: the source removed: the unit disabled, its files moved aside (not deleted, so
  # that the undo can bring them back; delete /var/backups/directory-legacy later by hand).
  step "slice-8-remove-source" {
    kind    = "exec"
    hosts   = "role=directory"
    command = ["sh", "-c", "systemctl disable directory-legacy && mv /opt/directory-legacy /var/backups/directory-legacy"]
    undo {
      kind    = "exec"
      command = ["sh", "-c", "mv /var/backups/directory-legacy /opt/directory-legacy && systemctl enable directory-legacy"]
    }
  }
}
