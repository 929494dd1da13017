variable "reg_password" {
  sensitive = true
  default   = "s3cret-registry"
}

host "a" { address = "10.0.0.1" }

registry "Registry.Example.com/x" { # ERROR: Invalid registry
  hosts    = "*"
  username = "deploy"
  password = var.reg_password
}

registry "reg.example.com" {
  hosts    = "*"
  username = "deploy"
  password = "plain-text-password" # ERROR: Registry password not sensitive
  ca_cert  = "not a certificate"   # ERROR: Invalid CA certificate
}

registry "other.example.com:5000" {
  hosts    = "*"
  username = "de:ploy" # ERROR: Invalid registry user
  password = var.reg_password
}
