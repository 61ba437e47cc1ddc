# bad schedule timezone.
source "files" "site" {
  paths = ["./site"]
}
target "local" "disk" {
  path = "./backups"
}
backup "nightly" {
  sources  = [source.files.site]
  target   = target.local.disk
  schedule = "15 5 * * *"
  schedule_timezone = "Mars/Olympus"
}
# expect: bad_schedule_timezone.hcl:12:23: Invalid schedule; unknown time zone "Mars/Olympus": use an IANA name such as "Europe/Paris" or "UTC".
