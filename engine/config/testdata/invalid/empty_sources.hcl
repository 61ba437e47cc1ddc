# A backup of nothing.
target "local" "disk" {
  path = "./backups"
}
backup "nightly" {
  sources = []
  target  = target.local.disk
}
# expect: empty_sources.hcl:6:13: Empty sources; "sources" is empty: a backup needs at least one source, like [source.files.site].
