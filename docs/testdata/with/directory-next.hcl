# The next version of the directory stack, as a slice migration deploys it beside the old one.
stack "directory-next" {
  compose  = "stacks/directory"
  env_file = "secrets/directory.env"
  place {
    hosts = "role=directory"
  }
  port "http" {
    container = 8080
    service   = "api"
  }
}
