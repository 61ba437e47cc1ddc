# An include glob with an unclosed bracket.
source "files" "site" {
  paths = ["./site"]
}
target "local" "disk" {
  path = "./backups"
}
backup "nightly" {
  sources = [source.files.site]
  target  = target.local.disk
}
restore "site" {
  from    = backup.nightly
  include = ["docs/[a-z"]
}
# expect: bad_include_pattern.hcl:14:13: Invalid include pattern; "docs/[a-z" is not a valid glob: check its brackets and braces. Patterns use *, **, ?, [abc] and {a,b}.
