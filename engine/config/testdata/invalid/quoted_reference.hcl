# A reference written as a string.
source "files" "site" {
  paths = ["./site"]
}
target "local" "disk" {
  path = "./backups"
}
backup "nightly" {
  sources = ["source.files.site"]
  target  = target.local.disk
}
# expect: quoted_reference.hcl:9:14: Invalid reference; The "sources" argument takes references like source.files.site, not computed values. Write references without quotes.
