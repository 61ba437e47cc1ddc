# include would replace a database whole: refused where it is written.
target "local" "disk" {
  path = "./backups"
}
source "files" "site" {
  paths = ["./site"]
}
source "sqlite" "app" {
  path = "./app.db"
}
backup "nightly" {
  sources = [source.files.site, source.sqlite.app]
  target  = target.local.disk
}
restore "html" {
  from    = backup.nightly
  include = ["*.html"]
}
# expect: include_on_database.hcl:17:13: include applies to file trees only; source.sqlite.app cannot be filtered by paths: a restore with include would replace it whole. List only file-tree sources in "sources", or restore source.sqlite.app in a restore block of its own.
