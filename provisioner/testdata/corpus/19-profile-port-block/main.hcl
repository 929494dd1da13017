stack "app" {
  compose = "stack"
  port "admin" {
    container = 9000
    service   = "admin"
  }
}
