# The machines. To run the example elsewhere (the test bed), replace this file with one that
# declares dir-1 and dir-2 (role = "directory", zones a and b) and lb-1 (role = "lb").

defaults {
  ssh {
    user = "deploy"
  }
  port_range = "20000-20999"
}

host "dir-1" {
  address = "10.20.0.11"
  labels  = { role = "directory", zone = "a" }
}

host "dir-2" {
  address = "10.20.0.12"
  labels  = { role = "directory", zone = "b" }
}

host "lb-1" {
  address = "10.20.0.2"
  labels  = { role = "lb" }
}
