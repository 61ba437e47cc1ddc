# A reference to a source that is not declared.
source "files" "site" {
  paths = ["./site"]
}
target "local" "disk" {
  path = "./backups"
}
backup "nightly" {
  sources = [source.files.sitee]
  target  = target.local.disk
}
# expect: unknown_reference.hcl:9:14: Reference to undeclared source; There is no source declared as source.files.sitee. Did you mean "source.files.site"? Declared sources: source.files.site.
