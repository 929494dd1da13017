host "h1" {
  address = "10.0.0.1"
}

stack "app" {
  compose  = "app"
  profiles = ["debug"]
  port "http" {
    container = 8080
  }
}
