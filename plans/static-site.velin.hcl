# A site on one host: its files (code, templates, uploads) and its SQLite
# database, backed up nightly into an encrypted local repository with
# maintenance mode switched on around the backup and always switched off.
#
#   export VELIN_PASSPHRASE=...            # or key_file in the target
#   velin -f static-site.velin.hcl plan
#   velin -f static-site.velin.hcl apply
#   velin -f static-site.velin.hcl plan -restore uploads   # what a restore would overwrite

variable "app_dir" {
  type        = string
  default     = "/srv/site"
  description = "where the site lives"
}

variable "repo_dir" {
  type    = string
  default = "/var/backups/velin/site"
}

variable "health_url" {
  type    = string
  default = "http://127.0.0.1:8000/health"
}

locals {
  db_path = "${var.app_dir}/db.sqlite3"
}

target "local" "disk" {
  path        = var.repo_dir
  passphrase  = env("VELIN_PASSPHRASE")
  compression = 3
}

source "files" "site" {
  paths   = ["${var.app_dir}/code", "${var.app_dir}/media"]
  exclude = ["*.pyc", "__pycache__/**", "*.tmp", "cache/**"]
}

source "sqlite" "db" {
  path = local.db_path
}

step "exec" "maintenance_on" {
  command     = ["touch", "maintenance.flag"]
  working_dir = var.app_dir
  timeout     = "30s"
}

step "exec" "maintenance_off" {
  command     = ["rm", "-f", "maintenance.flag"]
  working_dir = var.app_dir
}

step "http" "health" {
  url           = var.health_url
  method        = "GET"
  expect_status = [200]
  timeout       = "10s"
}

backup "nightly" {
  sources  = [source.files.site, source.sqlite.db]
  target   = target.local.disk
  strategy = "incremental"
  before   = [step.exec.maintenance_on]
  finally  = [step.exec.maintenance_off]

  retention {
    keep_last    = 7
    keep_daily   = 14
    keep_weekly  = 8
    keep_monthly = 12
  }

  verify {
    checksums    = true
    test_restore = true
  }
}

# Restores only the uploaded media into place, with the site in maintenance
# mode; `velin plan -restore uploads` lists the files it would replace.
restore "uploads" {
  from    = backup.nightly
  sources = [source.files.site]
  include = ["media/**"]
  before  = [step.exec.maintenance_on]
  after   = [step.http.health]
  finally = [step.exec.maintenance_off]
}
