host "h1" {
  address = "10.255.255.1"
}
package "p" {
  hosts = "*"
  names = ["curl; touch /tmp/pwned"] # ERROR: Invalid package name
}
