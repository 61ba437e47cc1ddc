# bad schedule cron.
source "files" "site" {
  paths = ["./site"]
}
target "local" "disk" {
  path = "./backups"
}
backup "nightly" {
  sources  = [source.files.site]
  target   = target.local.disk
  schedule = "61 5 * * *"
}
# expect: bad_schedule_cron.hcl:11:14: Invalid schedule; invalid cron expression "61 5 * * *": end of range (61) above maximum (59): 61 (five fields: minute hour day-of-month month day-of-week).
