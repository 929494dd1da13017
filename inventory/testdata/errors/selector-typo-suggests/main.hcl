host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}

host "h2" {
  address = "10.0.0.2"
}

syslog {
  hosts = "h1,hh2"  # ERROR: Did you mean "h2"
}
