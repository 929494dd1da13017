# The balancer runbook steps drain and ready.
balancer "edge" {
  hosts = "role=lb"
  frontend "https" {
    bind  = ":443"
    stack = "directory"
    port  = "http"
  }
}
