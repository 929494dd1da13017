stack "app" {
  compose = "stack"
  profiles = ["workers"]
}
