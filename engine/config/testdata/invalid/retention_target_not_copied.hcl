# A retention block for a target the backup does not copy to, and two for one target.
source "files" "site" {
  paths = ["./site"]
}
target "local" "disk" {
  path       = "./backups"
}
target "local" "offsite" {
  path       = "./offsite"
}
target "local" "other" {
  path       = "./other"
}
backup "nightly" {
  sources = [source.files.site]
  target  = target.local.disk
  copy_to = [target.local.offsite]
  retention {
    target    = target.local.other
    keep_last = 3
  }
  retention {
    target    = target.local.offsite
    keep_last = 3
  }
  retention {
    target     = target.local.offsite
    keep_daily = 7
  }
}
# expect: retention_target_not_copied.hcl:19:17: Retention for a target the backup does not copy to; target.local.other is not in this backup's copy_to. A retention block's target names one of copy_to; leave target out for the backup's own target.
# expect: retention_target_not_copied.hcl:26:3: Duplicate retention block; A backup has one retention block for target.local.offsite; the first is at testdata/invalid/retention_target_not_copied.hcl:22:3. Merge them.
