stack "app" {
  compose = "stack"
  images = "ship"
}
