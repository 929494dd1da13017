host "h1" {
  address = "10.255.255.1"
}
package "p" {
  hosts = "*"
  names = ["$(id)"] # ERROR: Invalid package name
}
