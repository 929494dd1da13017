# Imported from the Ansible inventory testdata/ini/hosts.ini by 'berth import ansible'.
# Importing again shows what would change and writes nothing, unless --force.
#
# Not imported (values not shown):
#   motd of group "web": the value has whitespace, ',' or '=' (not a valid label value)

host "db-1" {
  address = "10.0.2.21"
  labels = {
    datacenter = "rbx"
    env        = "prod"
  }
  ssh {
    user = "postgres-admin"
  }
}

host "web-1" {
  address = "10.0.1.11"
  labels = {
    datacenter = "rbx"
    env        = "prod"
    http_port  = "8080"
  }
  ssh {
    user = "deploy"
  }
}

host "web-2" {
  address = "10.0.1.12"
  labels = {
    datacenter = "rbx"
    env        = "prod"
    http_port  = "8080"
  }
  ssh {
    user = "deploy"
    port = 2222
  }
}

group "db" {
  members = ["db-1"]
}

group "monitoring" {
  members = ["web-2"]
}

# Ansible children: db, web (berth groups do not nest: their hosts are members)
group "prod" {
  members = ["db-1", "web-1", "web-2"]
}

group "web" {
  members = ["web-1", "web-2"]
}
