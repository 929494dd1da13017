host "h1" {
  address = "10.255.255.1"
}
package "p" {
  hosts = "*"
  names = ["curl\nrm"] # ERROR: Invalid package name
}
