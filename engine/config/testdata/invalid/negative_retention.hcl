# A retention count below zero.
source "files" "site" {
  paths = ["./site"]
}
target "local" "disk" {
  path = "./backups"
}
backup "nightly" {
  sources = [source.files.site]
  target  = target.local.disk
  retention {
    keep_daily = -1
  }
}
# expect: negative_retention.hcl:12:18: Invalid keep_daily; keep_daily must be a whole number, 0 or more; got -1.
