# copy_to names the backup's own target.
source "files" "site" {
  paths = ["./site"]
}
target "local" "disk" {
  path       = "./backups"
}
backup "nightly" {
  sources = [source.files.site]
  target  = target.local.disk
  copy_to = [target.local.disk]
}
# expect: copy_to_own_target.hcl:11:14: Copy to the backup's own target; target.local.disk is the backup's target already; copy_to lists other targets (an offsite copy). Remove it from copy_to.
