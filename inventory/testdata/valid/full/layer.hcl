docker {
  hosts = "apps"
}

docker {
  hosts  = "edge"
  source = "docker"
  daemon = { "log-driver" = "json-file", "live-restore" = true }
}

syslog {
  hosts   = "*"
  forward = "tcp://logs.example.net:514"
  rotate  = 7
}

file "/etc/motd" {
  hosts   = "*"
  content = templatefile("templates/motd.tpl", { name = host.name, zone = lookup(host.labels, "zone", "none") })
}

file "/etc/berth/token" {
  hosts     = "apps"
  source    = "secrets/token"
  mode      = "0600"
  sensitive = true
}

directory "/srv/data" {
  hosts = "role=app,zone=rbx"
  owner = "deploy"
  mode  = "0750"
}

package "base" {
  hosts = "*"
  names = ["curl", "jq"]
}

service "rsyslog" {
  hosts      = "*"
  enabled    = true
  restart_on = ["file./etc/motd"]
}
