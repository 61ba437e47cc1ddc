# A backup that depends on itself.
source "files" "site" {
  paths = ["./site"]
}
target "local" "disk" {
  path = "./backups"
}
backup "nightly" {
  sources    = [source.files.site]
  target     = target.local.disk
  depends_on = [backup.nightly]
}
# expect: self_dependency.hcl:11:17: Self-dependency; backup.nightly cannot depend on itself. Remove it from depends_on.
