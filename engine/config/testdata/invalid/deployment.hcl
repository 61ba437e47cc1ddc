# Mistakes in deployment blocks, one per argument.
target "local" "disk" {
  path = "./backups"
}
deployment "api" {
  root      = ""
  artifacts = []
  config    = ["./a/config", "./b/config"]
  target    = target.local.nope
  keep      = 0
  stop      = []
  health {
    http     = "ftp://x"
    tcp      = "nohost"
    timeout  = "soon"
    interval = "1s"
  }
  migrate {
    current = ["./current/api", "migrate", "version"]
    down_to = ["./current/api", "migrate", "goto"]
  }
  transaction {
    timeout = "-1s"
    backup  = backup.none
  }
  health {
    exec = ["true"]
  }
}
deployment "api" {
  root      = "/srv"
  artifacts = ["./x"]
  target    = target.local.disk
}
deployment "web" {
  artifacts = ["./x"]
  target    = target.local.disk
  health {
    tcp      = "127.0.0.1:1"
    timeout  = "1s"
    interval = "2s"
  }
}
deployment "worker" {
  root      = "/srv"
  artifacts = ["./x"]
  target    = target.local.disk
  health {
  }
}
# expect: deployment.hcl:30:1: Duplicate deployment; deployment.api is already declared at testdata/invalid/deployment.hcl:5:1. Rename one of them: names must be unique.
# expect: deployment.hcl:6:15: Empty root; "root" is empty: give a directory path.
# expect: deployment.hcl:7:15: Empty artifacts; "artifacts" is empty: list at least one path, like ["./build/api"].
# expect: deployment.hcl:8:15: Duplicate name in config; "./a/config" and "./b/config" have the same base name "config": each path becomes a top-level entry of the release by its base name. Rename one of them.
# expect: deployment.hcl:9:15: Reference to undeclared target; There is no target declared as target.local.nope. Declared targets: target.local.disk.
# expect: deployment.hcl:10:15: Invalid keep; keep must be 1 or more: the current release is always kept.
# expect: deployment.hcl:11:15: Empty stop; "stop" is empty: give a command and its arguments, like ["systemctl", "restart", "api"].
# expect: deployment.hcl:12:3: Invalid health block; A health block sets exactly one of "http", "exec" and "tcp"; this one sets http and tcp.
# expect: deployment.hcl:13:16: Invalid http; http must be an http:// or https:// URL with a host, like "http://127.0.0.1:8080/healthz".
# expect: deployment.hcl:14:16: Invalid tcp; tcp must be host:port, like "127.0.0.1:8080"; got "nohost".
# expect: deployment.hcl:15:16: Invalid timeout; "soon" is not a positive duration. Write a number followed by a unit, like "30s", "500ms" or "10m".
# expect: deployment.hcl:20:15: Missing {version}; down_to must pass the schema version to migrate to: write "{version}" where it goes, as in ["./current/api", "migrate", "goto", "{version}"].
# expect: deployment.hcl:23:15: Invalid timeout; "-1s" is not a positive duration. Write a number followed by a unit, like "30s", "500ms" or "10m".
# expect: deployment.hcl:24:15: Reference to undeclared backup; There is no backup declared as backup.none.
# expect: deployment.hcl:26:3: Duplicate health block; A deployment has at most one health block; the first is at testdata/invalid/deployment.hcl:12:3. Merge them.
# expect: deployment.hcl:35:18: Missing required argument; The argument "root" is required, but no definition was found.
# expect: deployment.hcl:41:16: Invalid interval; The interval (2s) is longer than the timeout (1s): the check would run once at most. Shorten the interval.
# expect: deployment.hcl:48:3: Invalid health block; A health block sets exactly one of "http", "exec" and "tcp"; this one sets none.
