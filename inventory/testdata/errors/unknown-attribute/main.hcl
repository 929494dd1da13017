host "h1" {
  address = "10.0.0.1"
  lables  = { role = "app" }  # ERROR: Did you mean "labels"
}
