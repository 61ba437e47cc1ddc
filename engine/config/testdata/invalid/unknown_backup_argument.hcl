# A misspelt engine argument in a backup.
source "files" "site" {
  paths = ["./site"]
}
target "local" "disk" {
  path = "./backups"
}
backup "nightly" {
  sources   = [source.files.site]
  target    = target.local.disk
  strategie = "full"
}
# expect: unknown_backup_argument.hcl:11:3: Unsupported argument; An argument named "strategie" is not expected here. Did you mean "strategy"?
