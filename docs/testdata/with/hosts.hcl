# The hosts the documentation's snippets select: by name (app-1, app-2, dir-1, db-old), by
# role (app, web, directory, db) and by zone.
host "app-1" {
  address = "10.1.0.11"
  labels  = { role = "app", zone = "rbx" }
}

host "app-2" {
  address = "10.1.0.12"
  labels  = { role = "app", zone = "gra" }
}

host "web-1" {
  address = "10.1.0.21"
  labels  = { role = "web", zone = "rbx" }
}

host "dir-1" {
  address = "10.20.0.11"
  labels  = { role = "directory", zone = "rbx" }
}

host "db-old" {
  address = "10.20.0.5"
  labels  = { role = "db", zone = "rbx" }
}
