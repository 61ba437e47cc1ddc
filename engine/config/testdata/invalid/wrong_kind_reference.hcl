# A target listed among the sources.
source "files" "site" {
  paths = ["./site"]
}
target "local" "disk" {
  path = "./backups"
}
backup "nightly" {
  sources = [source.files.site, target.local.disk]
  target  = target.local.disk
}
# expect: wrong_kind_reference.hcl:9:33: Wrong kind of reference; The "sources" argument takes references to sources, like source.files.site; target.local.disk is a target.
