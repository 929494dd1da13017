# What runs on the hosts: Docker, syslog routing of container logs, two stacks.

docker {
  hosts  = "role=app"
  source = "distro"
}

syslog {
  hosts = "*"
}

# A busybox httpd on container port 8080 that serves the GREETING of its env file.
stack "hello" {
  compose  = "stacks/hello"
  env_file = "secrets/hello.env"
  replicas = 2
  place {
    hosts = "role=app"
  }
  port "http" {
    container = 8080
  }
  health {
    timeout = "30s"
  }
}

# The same image, answering with the container's host name.
stack "whoami" {
  compose = "stacks/whoami"
  place {
    hosts = "role=app"
  }
  port "http" {
    container = 8080
  }
}
