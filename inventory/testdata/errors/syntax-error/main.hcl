host "h1" {
  address =  # ERROR: Invalid expression
}
