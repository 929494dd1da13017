host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}

docker {
  hosts = "role=db"  # WARNING: Selector selects no host
}

host "h2" {
  address = "-x"  # ERROR: Invalid host address
}
