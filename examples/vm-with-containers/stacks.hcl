stack "auth" {
  compose  = "stacks/auth"
  env_file = "secrets/auth.env"
  replicas = 2
  place {
    hosts  = "apps"
    spread = "zone"
  }
  port "http" {
    container = 8080
  }
  health {
    timeout = "120s"
  }
}

stack "directory" {
  compose  = "stacks/directory"
  env_file = "secrets/directory.env"
  replicas = 2
  place {
    hosts  = "apps"
    spread = "zone"
  }
  port "ldap" {
    container = 389
  }
  port "http" {
    container = 8080
  }
}

stack "docex" {
  compose  = "stacks/docex"
  env_file = "secrets/docex.env"
  replicas = var.docex_replicas
  place {
    hosts  = "apps"
    spread = "zone"
  }
  port "http" {
    container = 8080
  }
  resources {
    cpus   = 1
    memory = "1GiB"
  }
}

# Two HAProxy instances on the same VM: the current one (2.4) and the next one (3.0),
# each on its own fixed host port so they can run side by side during the switch.
stack "haproxy-legacy" {
  compose = "stacks/haproxy-legacy"
  place {
    hosts = "edge-1"
  }
  port "https" {
    container = 8443
    host      = 8443
  }
}

stack "haproxy-next" {
  compose = "stacks/haproxy-next"
  place {
    hosts = "edge-1"
  }
  port "https" {
    container = 8443
    host      = 9443
  }
}
