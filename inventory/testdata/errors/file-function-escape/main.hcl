host "h1" {
  address = trimspace(file("../../../go.mod"))  # ERROR: leaves the inventory directory
}
