# The registry password comes from a SOPS-encrypted variable file (age), opened in memory on
# the machine running berth:
#   SOPS_AGE_KEY_FILE=demo-age-key.txt berth plan . -var-file secrets/prod.vars.enc
variable "registry_password" {
  type      = string
  sensitive = true
}

registry "registry.example.com:5000" {
  hosts    = "role=app"
  username = "deploy"
  password = var.registry_password
}

stack "shop" {
  compose  = "stacks/shop"
  env_file = "secrets/shop.env.enc" # SOPS dotenv: shipped decrypted as .env, 0600
  replicas = 2
  place {
    hosts  = "role=app"
    spread = "zone"
  }
  port "http" {
    container = 8080
  }
}
