# The plan from the design brief, verbatim.
variable "site_dir" {
  type    = string
  default = "./site"
}
target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
}
source "files" "site" {
  paths   = [var.site_dir]
  exclude = ["*.tmp", "cache/**"]
}
source "sqlite" "app" {
  path = "./app.db"
}
step "exec" "maintenance_on" {
  command = ["sh", "-c", "touch ./maintenance.flag"]
}
step "exec" "maintenance_off" {
  command = ["rm", "-f", "./maintenance.flag"]
}
backup "nightly" {
  sources  = [source.files.site, source.sqlite.app]
  target   = target.local.disk
  strategy = "incremental"
  before   = [step.exec.maintenance_on]
  finally  = [step.exec.maintenance_off]
  retention {
    keep_last  = 7
    keep_daily = 14
  }
  verify {
    checksums    = true
    test_restore = true
  }
}
