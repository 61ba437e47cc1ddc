# Offsite copies with their own retention: 7 kept locally, 30 offsite.
source "files" "site" {
  paths = ["./site"]
}
target "local" "disk" {
  path       = "./backups"
}
target "local" "offsite" {
  path       = "./offsite"
}
backup "nightly" {
  sources = [source.files.site]
  target  = target.local.disk
  copy_to = [target.local.offsite]
  retention {
    keep_last = 7
  }
  retention {
    target    = target.local.offsite
    keep_last = 30
  }
}
