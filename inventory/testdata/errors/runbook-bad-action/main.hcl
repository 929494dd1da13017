host "h1" {
  address = "10.0.0.1"
}

balancer "edge" {
  hosts = "*"
}

runbook "r" {
  step "one" {
    kind     = "balancer"
    balancer = "edge"
    action   = "drian"  # ERROR: Did you mean "drain"
  }
  step "two" {
    kind   = "wait"
    url    = "http://10.0.0.1/"
    status = "ok"  # ERROR: Invalid status
  }
  step "one" {  # ERROR: Duplicate step
    kind    = "confirm"
    message = "again?"
  }
}
