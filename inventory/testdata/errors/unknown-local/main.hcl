locals {
  net = "10.0.0"
}

host "h1" {
  address = "${local.nett}.1"  # ERROR: Did you mean "net"
}
