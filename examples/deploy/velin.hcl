# examples/deploy: the api service (./api) deployed with velin rollback.
# walkthrough.sh builds it into ./build/api and drives every command.

variable "addr" {
  type    = string
  default = "127.0.0.1:18080"
}

target "local" "disk" {
  path       = "./repo"
  encryption = "none" # an example: use a passphrase for real data
}

deployment "api" {
  root      = "./srv"              # srv/releases/<version>/ and srv/current
  artifacts = ["./build/api"]      # the binary, start.sh, stop.sh, migrations/
  config    = ["./config"]         # added by create-snapshot
  target    = target.local.disk
  keep      = 3

  stop  = ["sh", "./current/api/stop.sh"]
  start = ["sh", "./current/api/start.sh", var.addr]

  health {
    http     = "http://${var.addr}/healthz"
    timeout  = "3s"
    interval = "100ms"
  }

  migrate {
    current = ["./current/api/api", "migrate", "version"]
    down_to = ["./current/api/api", "migrate", "goto", "{version}"]
  }
}
