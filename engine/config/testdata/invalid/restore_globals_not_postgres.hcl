# globals on a restore block whose sources have no roles to create (only postgres has).
source "sqlite" "app" {
  path = "./app.db"
}
target "local" "disk" {
  path = "./backups"
}
backup "nightly" {
  sources = [source.sqlite.app]
  target  = target.local.disk
}
restore "app" {
  from    = backup.nightly
  globals = true
}
# expect: restore_globals_not_postgres.hcl:14:13: globals applies to postgres sources only; source.sqlite.app has no roles or tablespaces to create before a restore. List only postgres sources in "sources", or leave globals out.
