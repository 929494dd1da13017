host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}

runbook "r" {
  step "one" {
    kind = "exce"  # ERROR: Did you mean "exec"
  }
}
