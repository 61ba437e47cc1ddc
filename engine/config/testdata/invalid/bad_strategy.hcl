# A strategy that does not exist.
source "files" "site" {
  paths = ["./site"]
}
target "local" "disk" {
  path = "./backups"
}
backup "nightly" {
  sources  = [source.files.site]
  target   = target.local.disk
  strategy = "incremantal"
}
# expect: bad_strategy.hcl:11:14: Invalid strategy; strategy must be "full" or "incremental", not "incremantal". Did you mean "incremental"?
