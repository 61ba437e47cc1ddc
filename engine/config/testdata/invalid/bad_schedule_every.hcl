# bad schedule every.
source "files" "site" {
  paths = ["./site"]
}
target "local" "disk" {
  path = "./backups"
}
backup "nightly" {
  sources  = [source.files.site]
  target   = target.local.disk
  schedule = "every soon"
}
# expect: bad_schedule_every.hcl:11:14: Invalid schedule; invalid interval "soon": write a duration such as 30m, 6h or 1h30m.
