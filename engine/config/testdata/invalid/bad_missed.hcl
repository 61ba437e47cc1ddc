# bad missed.
source "files" "site" {
  paths = ["./site"]
}
target "local" "disk" {
  path = "./backups"
}
backup "nightly" {
  sources  = [source.files.site]
  target   = target.local.disk
  schedule = "every 1h"
  missed   = "run_twice"
}
# expect: bad_missed.hcl:12:14: Invalid missed; missed must be "run_once" or "skip", not "run_twice". Did you mean "run_once"?
