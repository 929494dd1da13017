locals {
  a = local.b  # ERROR: Cycle in local values
  b = local.a
}

host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}
