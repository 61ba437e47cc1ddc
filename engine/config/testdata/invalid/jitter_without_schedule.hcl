# jitter without schedule.
source "files" "site" {
  paths = ["./site"]
}
target "local" "disk" {
  path = "./backups"
}
backup "nightly" {
  sources  = [source.files.site]
  target   = target.local.disk
  jitter = "5m"
}
# expect: jitter_without_schedule.hcl:11:3: Argument without a schedule; jitter only applies to a scheduled backup: add schedule = "every 6h" (or a cron expression), or remove jitter.
