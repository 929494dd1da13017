defaults {
  ssh {
    user = "deploy"
  }
}

host "app-1" {
  address = "10.1.0.11"
  labels  = { role = "app", zone = "a" }
}

host "app-2" {
  address = "10.1.0.12"
  labels  = { role = "app", zone = "b" }
}

docker {
  hosts = "role=app"
}
