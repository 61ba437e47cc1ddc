# Two sources with the same type and name.
source "files" "site" {
  paths = ["./site"]
}

source "files" "site" {
  paths = ["./other"]
}
# expect: duplicate_name.hcl:6:1: Duplicate source; source.files.site is already declared at testdata/invalid/duplicate_name.hcl:2:1. Rename one of them: names must be unique.
