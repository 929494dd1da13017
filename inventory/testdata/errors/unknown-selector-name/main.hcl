host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}

docker {
  hosts = "apps"  # ERROR: Unknown host or group
}
