variable "user" {  # ERROR: No value for required variable
  type = string
}

host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}
