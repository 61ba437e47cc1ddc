# Scheduled backups: cron in a time zone, and an interval.
source "files" "site" {
  paths = ["./site"]
}
target "local" "disk" {
  path = "./backups"
}
backup "nightly" {
  sources           = [source.files.site]
  target            = target.local.disk
  schedule          = "15 5 * * *"
  schedule_timezone = "Europe/Paris"
  missed            = "skip"
  jitter            = "10m"
}
backup "often" {
  sources  = [source.files.site]
  target   = target.local.disk
  schedule = "every 6h"
}
