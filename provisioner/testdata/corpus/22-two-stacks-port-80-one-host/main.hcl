stack "app" {
  compose = "stack"
  place {
    hosts = "h1"
  }
}

stack "other" {
  compose = "stack"
  place {
    hosts = "h1"
  }
}
