# A balancer host.
host "lb-1" {
  address = "10.1.0.2"
  labels  = { role = "lb", zone = "rbx" }
}
