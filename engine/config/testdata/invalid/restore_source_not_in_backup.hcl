# A restore of a source the backup does not save.
source "files" "site" {
  paths = ["./site"]
}
source "sqlite" "app" {
  path = "./app.db"
}
target "local" "disk" {
  path = "./backups"
}
backup "nightly" {
  sources = [source.files.site]
  target  = target.local.disk
}
restore "app" {
  from    = backup.nightly
  sources = [source.sqlite.app]
}
# expect: restore_source_not_in_backup.hcl:17:14: Source not in backup; backup.nightly does not back up source.sqlite.app, so it cannot be restored from it. backup.nightly backs up: source.files.site.
