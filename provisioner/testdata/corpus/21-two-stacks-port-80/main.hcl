stack "app" {
  compose = "stack"
}

stack "other" {
  compose = "stack"
}
