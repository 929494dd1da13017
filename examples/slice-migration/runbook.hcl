runbook "migrate" {
  step "deploy-next" {
    kind    = "apply"
    targets = ["stack.directory-next", "docker", "syslog"]
    timeout = "15m"
  }

  step "next-healthy" {
    kind     = "wait"
    hosts    = "role=directory"
    command  = ["docker", "compose", "-p", "directory-next", "ps", "--status", "running", "-q"]
    interval = "5s"
    timeout  = "5m"
  }

  step "slice-1-migrate" {
    kind    = "exec"
    hosts   = "dir-1"
    command = ["docker", "compose", "-p", "directory-next", "exec", "-T", "api", "migrate", "--slice", "1", "--of", "8"]
    timeout = "30m"
    undo {
      kind    = "exec"
      hosts   = "dir-1"
      command = ["docker", "compose", "-p", "directory-next", "exec", "-T", "api", "migrate", "--rollback", "--slice", "1"]
    }
  }

  step "slice-1-verify" {
    kind     = "wait"
    url      = "http://10.20.0.11:20000/slices/1/status"
    status   = "200"
    interval = "10s"
    timeout  = "10m"
  }

  step "slice-1-ok" {
    kind    = "confirm"
    message = "Slice 1 of 8 is migrated. Check the dashboards, then continue."
  }

  step "slice-2-migrate" {
    kind    = "exec"
    hosts   = "dir-1"
    command = ["docker", "compose", "-p", "directory-next", "exec", "-T", "api", "migrate", "--slice", "2", "--of", "8"]
    timeout = "30m"
    undo {
      kind    = "exec"
      hosts   = "dir-1"
      command = ["docker", "compose", "-p", "directory-next", "exec", "-T", "api", "migrate", "--rollback", "--slice", "2"]
    }
  }

  step "slice-2-verify" {
    kind     = "wait"
    url      = "http://10.20.0.11:20000/slices/2/status"
    status   = "200"
    interval = "10s"
    timeout  = "10m"
  }

  step "slice-3-migrate" {
    kind    = "exec"
    hosts   = "dir-1"
    command = ["docker", "compose", "-p", "directory-next", "exec", "-T", "api", "migrate", "--slice", "3", "--of", "8"]
    timeout = "30m"
    undo {
      kind    = "exec"
      hosts   = "dir-1"
      command = ["docker", "compose", "-p", "directory-next", "exec", "-T", "api", "migrate", "--rollback", "--slice", "3"]
    }
  }

  step "slice-3-verify" {
    kind     = "wait"
    url      = "http://10.20.0.11:20000/slices/3/status"
    status   = "200"
    interval = "10s"
    timeout  = "10m"
  }

  step "slice-4-migrate" {
    kind    = "exec"
    hosts   = "dir-1"
    command = ["docker", "compose", "-p", "directory-next", "exec", "-T", "api", "migrate", "--slice", "4", "--of", "8"]
    timeout = "30m"
    undo {
      kind    = "exec"
      hosts   = "dir-1"
      command = ["docker", "compose", "-p", "directory-next", "exec", "-T", "api", "migrate", "--rollback", "--slice", "4"]
    }
  }

  step "slice-4-verify" {
    kind     = "wait"
    url      = "http://10.20.0.11:20000/slices/4/status"
    status   = "200"
    interval = "10s"
    timeout  = "10m"
  }

  step "slice-4-ok" {
    kind    = "confirm"
    message = "Slice 4 of 8 is migrated. Check the dashboards, then continue."
  }

  step "slice-5-migrate" {
    kind    = "exec"
    hosts   = "dir-1"
    command = ["docker", "compose", "-p", "directory-next", "exec", "-T", "api", "migrate", "--slice", "5", "--of", "8"]
    timeout = "30m"
    undo {
      kind    = "exec"
      hosts   = "dir-1"
      command = ["docker", "compose", "-p", "directory-next", "exec", "-T", "api", "migrate", "--rollback", "--slice", "5"]
    }
  }

  step "slice-5-verify" {
    kind     = "wait"
    url      = "http://10.20.0.11:20000/slices/5/status"
    status   = "200"
    interval = "10s"
    timeout  = "10m"
  }

  step "slice-6-migrate" {
    kind    = "exec"
    hosts   = "dir-1"
    command = ["docker", "compose", "-p", "directory-next", "exec", "-T", "api", "migrate", "--slice", "6", "--of", "8"]
    timeout = "30m"
    undo {
      kind    = "exec"
      hosts   = "dir-1"
      command = ["docker", "compose", "-p", "directory-next", "exec", "-T", "api", "migrate", "--rollback", "--slice", "6"]
    }
  }

  step "slice-6-verify" {
    kind     = "wait"
    url      = "http://10.20.0.11:20000/slices/6/status"
    status   = "200"
    interval = "10s"
    timeout  = "10m"
  }

  step "slice-7-migrate" {
    kind    = "exec"
    hosts   = "dir-1"
    command = ["docker", "compose", "-p", "directory-next", "exec", "-T", "api", "migrate", "--slice", "7", "--of", "8"]
    timeout = "30m"
    undo {
      kind    = "exec"
      hosts   = "dir-1"
      command = ["docker", "compose", "-p", "directory-next", "exec", "-T", "api", "migrate", "--rollback", "--slice", "7"]
    }
  }

  step "slice-7-verify" {
    kind     = "wait"
    url      = "http://10.20.0.11:20000/slices/7/status"
    status   = "200"
    interval = "10s"
    timeout  = "10m"
  }

  step "slice-8-migrate" {
    kind    = "exec"
    hosts   = "dir-1"
    command = ["docker", "compose", "-p", "directory-next", "exec", "-T", "api", "migrate", "--slice", "8", "--of", "8"]
    timeout = "30m"
    undo {
      kind    = "exec"
      hosts   = "dir-1"
      command = ["docker", "compose", "-p", "directory-next", "exec", "-T", "api", "migrate", "--rollback", "--slice", "8"]
    }
  }

  step "slice-8-verify" {
    kind     = "wait"
    url      = "http://10.20.0.11:20000/slices/8/status"
    status   = "200"
    interval = "10s"
    timeout  = "10m"
  }

  step "switch-traffic" {
    kind     = "balancer"
    balancer = "edge"
    stack    = "directory-next"
    action   = "ready"
    undo {
      kind     = "balancer"
      balancer = "edge"
      stack    = "directory-next"
      action   = "drain"
    }
  }
}
