host "h1" {
  address = upperr("h1.example.net")  # ERROR: Call to unknown function
}
