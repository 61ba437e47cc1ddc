# A Django application on MariaDB (or MySQL): the database, the
# application's source and the user uploads, encrypted, with a weekly full
# snapshot and daily incremental ones.
#
#   export VELIN_VAR_shop_database_url=mysql://shop:secret@127.0.0.1:3306/shop   # or -var, or -var-file
#   export VELIN_PASSPHRASE=...              # or key_file in the target
#   velin -f django-mariadb.velin.hcl plan -backup daily
#   velin -f django-mariadb.velin.hcl apply -backup weekly   # Sunday (cron: 0 3 * * 0)
#   velin -f django-mariadb.velin.hcl apply -backup daily    # other days (cron: 0 3 * * 1-6)
#   velin -f django-mariadb.velin.hcl plan -restore all      # what a restore would replace
#
# Both backups write the same sources into the same repository, which
# deduplicates between them. Each keeps its own chain: a daily snapshot is
# incremental on the previous daily one (files whose size, mtime and inode
# did not change are not read again), and the weekly full reads everything
# again, catching a change that kept a file's size and mtime.

variable "shop_database_url" {
  type        = string
  sensitive   = true
  description = "mysql://user:password@host:3306/db"
}

variable "app_dir" {
  type    = string
  default = "/srv/shop"
}

variable "uploads_dir" {
  type    = string
  default = "/srv/shop/media"
}

variable "repo_dir" {
  type    = string
  default = "/var/backups/velin/shop"
}

target "local" "disk" {
  path        = var.repo_dir
  passphrase  = env("VELIN_PASSPHRASE")
  encryption  = "aes-256-gcm"
  compression = 3
}

source "mysql" "shop" {
  dsn                = var.shop_database_url
  exclude_table_data = []
}

source "files" "code" {
  paths   = [var.app_dir]
  exclude = ["media/**", "*.pyc", "__pycache__/**", ".venv/**", "*.log"]
}

source "files" "uploads" {
  paths = [var.uploads_dir]
}

backup "weekly" {
  sources  = [source.mysql.shop, source.files.code, source.files.uploads]
  target   = target.local.disk
  strategy = "full"

  retention {
    keep_weekly = 8
  }

  verify {
    checksums    = true
    test_restore = true
  }
}

backup "daily" {
  sources  = [source.mysql.shop, source.files.code, source.files.uploads]
  target   = target.local.disk
  strategy = "incremental"

  retention {
    keep_daily = 7
  }

  verify {
    checksums = true
  }
}

restore "all" {
  from    = backup.daily
  sources = [source.mysql.shop, source.files.code, source.files.uploads]
}
