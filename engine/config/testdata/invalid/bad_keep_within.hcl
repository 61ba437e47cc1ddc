# A keep_within with an unknown unit.
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
    keep_within = "30days"
  }
}
# expect: bad_keep_within.hcl:12:19: Invalid keep_within; "30days" is not a duration. Write a number followed by a unit, like "30d", "12h" or "2w" (units: s, m, h, d, w; parts may be combined, as in "1d12h").
