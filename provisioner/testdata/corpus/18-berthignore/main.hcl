stack "app" {
  compose = "stack"
}
