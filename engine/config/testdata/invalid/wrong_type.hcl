# A string where a number is expected.
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
    keep_last = "seven"
  }
}
# expect: wrong_type.hcl:12:17: Incorrect attribute value type; The "keep_last" argument must be a number: a number is required.
