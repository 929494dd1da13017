host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}

docker {
  hosts = "*"
}

docker {  # ERROR: Host selected by two docker blocks
  hosts = "role=app"
}
