# Two retention blocks in one backup.
source "files" "site" {
  paths = ["./site"]
}
target "local" "disk" {
  path = "./backups"
}
backup "nightly" {
  sources = [source.files.site]
  target  = target.local.disk
  retention {
    keep_last = 3
  }
  retention {
    keep_daily = 7
  }
}
# expect: duplicate_retention.hcl:14:3: Duplicate retention block; A backup has one retention block for the backup's target; the first is at testdata/invalid/duplicate_retention.hcl:11:3. Merge them.
