host "h1" {
  address = "10.255.255.1"
  ssh {
    jump = "-oProxyCommand=touch /tmp/pwned" # ERROR: Invalid jump host
  }
}
