# The directory stack most snippets route to, on the app hosts.
stack "directory" {
  compose  = "stacks/directory"
  env_file = "secrets/directory.env"
  replicas = 2
  place {
    hosts  = "role=app"
    spread = "zone"
  }
  port "http" {
    container = 8080
    service   = "api"
  }
}
