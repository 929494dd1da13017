variable "env" {
  type    = string
  default = "prd"  # ERROR: env must be prod or staging
  validation {
    condition     = contains(["prod", "staging"], var.env)
    error_message = "env must be prod or staging."
  }
}

host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}
