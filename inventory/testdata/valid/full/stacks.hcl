stack "api" {
  compose        = "stacks/api"
  env_file       = "secrets/api.env"
  replicas       = var.replicas
  images         = "ship"
  force_recreate = true
  prune_images   = true
  place {
    hosts  = ["apps"]
    spread = "zone"
  }
  port "http" {
    container = 8080
  }
  port "metrics" {
    container = 9090
    host      = 9090
    service   = "api"
  }
  health {
    timeout = "2m"
  }
}

balancer "edge" {
  hosts = "edge"
  frontend "https" {
    bind  = ":443"
    stack = "api"
    port  = "http"
  }
}

runbook "upgrade" {
  step "drain" {
    kind     = "balancer"
    balancer = "edge"
    stack    = "api"
    action   = "drain"
    hosts    = "app-1"
    undo {
      kind     = "balancer"
      balancer = "edge"
      stack    = "api"
      action   = "ready"
    }
  }
  step "deploy" {
    kind    = "apply"
    targets = ["stack.api", "file./etc/motd"]
    timeout = "10m"
  }
  step "check" {
    kind     = "wait"
    url      = "http://10.1.0.11:21000/health"
    status   = "200"
    interval = "2s"
    timeout  = "1m"
  }
  step "ok" {
    kind    = "confirm"
    message = "Is the API answering?"
  }
  step "restart" {
    kind    = "exec"
    hosts   = "apps"
    command = ["systemctl", "restart", "rsyslog"]
  }
}
