# flush on a restore block whose sources cannot be flushed (only redis can).
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
  from  = backup.nightly
  flush = true
}
restore "typo" {
  from  = backup.nightly
  flush = "sometimes"
}
# expect: restore_flush_not_flushable.hcl:14:11: flush applies to redis sources only; source.sqlite.app cannot be flushed before a restore. List only sources that can in "sources" (redis), or leave flush out.
# expect: restore_flush_not_flushable.hcl:18:11: Incorrect attribute value type; The "flush" argument must be a bool: a bool is required.
