variable "prefix" {
  default = "10.0.0"
}

host "h1" {
  address = "${var.prefx}.1"  # ERROR: Did you mean "prefix"
}
