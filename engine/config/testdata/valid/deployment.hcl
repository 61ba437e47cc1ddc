target "local" "disk" {
  path = "./backups"
}
source "files" "db" {
  paths = ["./db"]
}
backup "db" {
  sources = [source.files.db]
  target  = target.local.disk
}
deployment "api" {
  root      = "./srv/api"
  artifacts = ["./build/api", "./scripts"]
  config    = ["./config"]
  target    = target.local.disk
  keep      = 5
  stop      = ["systemctl", "stop", "api"]
  start     = ["systemctl", "start", "api"]
  health {
    http     = "http://127.0.0.1:8080/healthz"
    timeout  = "30s"
    interval = "500ms"
  }
  migrate {
    current = ["./current/api", "migrate", "version"]
    down_to = ["./current/api", "migrate", "goto", "{version}"]
  }
  transaction {
    timeout = "10m"
    backup  = backup.db
  }
}
deployment "worker" {
  root      = "/srv/worker"
  artifacts = ["./build/worker"]
  target    = target.local.disk
  health {
    tcp = "127.0.0.1:9090"
  }
}
