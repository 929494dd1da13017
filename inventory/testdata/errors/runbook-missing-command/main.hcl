host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}

runbook "r" {
  step "one" {  # ERROR: A exec step needs "command"
    kind = "exec"
  }
}
