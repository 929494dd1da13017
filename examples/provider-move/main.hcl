# provider-move: the directory service leaves old-1 (provider A) for new-1 (provider B).
# The runbook (runbook.hcl) rehearses the move once (trial dump and restore while the old
# side keeps serving), then, after a human gate, does it for real in a maintenance window and
# switches DNS.

defaults {
  ssh {
    user = "deploy"
  }
  port_range = "20000-20999"
}

host "old-1" {
  address = "192.0.2.10"
  labels  = { provider = "a" }
}

host "new-1" {
  address = "198.51.100.10"
  labels  = { provider = "b" }
}

docker {
  hosts = "provider=b"
}

package "dns-tools" {
  hosts = "provider=b"
  names = ["bind9-dnsutils"]
}

# The TSIG key for the DNS update travels as a sensitive file, never on a command line.
file "/etc/berth/dns.key" {
  hosts     = "provider=b"
  content   = file("secrets/dns.key")
  mode      = "0600"
  sensitive = true
}

file "/etc/berth/dns-to-new.txt" {
  hosts   = "provider=b"
  content = file("files/dns-to-new.txt")
}

file "/etc/berth/dns-to-old.txt" {
  hosts   = "provider=b"
  content = file("files/dns-to-old.txt")
}

stack "directory" {
  compose  = "stacks/directory"
  env_file = "secrets/directory.env"
  place {
    hosts = "provider=b"
  }
  port "http" {
    container = 8080
    host      = 8080
  }
}
