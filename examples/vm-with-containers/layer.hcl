# Docker from the distribution on every VM. Container logs go to syslog, tagged with the
# container name; the tag is also set per service in the compose files.
docker {
  hosts  = "*"
  source = "distro"
  daemon = {
    "log-driver"   = "syslog"
    "log-opts"     = { tag = "{{.Name}}" }
    "live-restore" = true
  }
}

syslog {
  hosts          = "*"
  container_logs = "/var/log/containers"
  rotate         = 14
}

file "/etc/motd" {
  hosts   = "*"
  content = "${host.name} (${lookup(host.labels, "role", "?")}) - ${var.environment} - managed by berth\n"
}

package "tools" {
  hosts = "*"
  names = ["curl", "jq"]
}
