# A restore from something that is not a backup.
source "files" "site" {
  paths = ["./site"]
}
restore "site" {
  from = source.files.site
}
# expect: restore_from_wrong_kind.hcl:6:10: Wrong kind of reference; The "from" argument takes references to backups, like backup.nightly; source.files.site is a source.
