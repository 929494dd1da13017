host "h1" {
  address = "-oProxyCommand=touch /tmp/pwned"  # ERROR: ssh would read it as an option
}
