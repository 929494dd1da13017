host "h1" {
  address = "10.0.0.1"
}

stack "a" {
  compose = "a"  # WARNING: uses ${TAG}
}

stack "b" {
  compose = "b"  # WARNING: Obsolete compose attribute
}

host "h2" {
  address = "-bad"  # ERROR: Invalid host address
}
