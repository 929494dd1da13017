stack "app" {
  compose = "stack"
  port "public" {
    container = 80
    host      = 8093
  }
}
