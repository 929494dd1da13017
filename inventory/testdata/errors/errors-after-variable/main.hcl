variable "net" {  # ERROR: No value for required variable
  type = string
}

host "h1" {
  address = "${var.net}.1"
}

host "h1" {  # ERROR: Duplicate host
  address = "${var.net}.2"
}
