variable "port" {
  type    = number
  default = "twenty-two"  # ERROR: Invalid value for variable
}

host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}
