host "h1" {
  address = "10.0.0.1"
}

stack "web" {
  compose  = "stacks/web"  # ERROR: (sensitive)
  env_file = "secrets/web.env"
}
