# A backup without a target.
source "files" "site" {
  paths = ["./site"]
}
backup "nightly" {
  sources = [source.files.site]
}
# expect: missing_required_argument.hcl:5:18: Missing required argument; The argument "target" is required, but no definition was found.
