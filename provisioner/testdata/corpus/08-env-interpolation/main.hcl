stack "app" {
  compose = "stack"
  env_file = "app.env"
}
