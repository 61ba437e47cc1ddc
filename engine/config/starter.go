package config

// starterFile is what `velin init` writes. It must load without errors
// once VELIN_PASSPHRASE is set (see TestStarterFileLoads).
const starterFile = `# velin.hcl: what to back up, where to keep it, and for how long.
# Relative paths are relative to this file's directory.
# Check the plan with "velin plan", run it with "velin apply".
# Every block and argument is described in docs/language.md.

# A directory tree to back up.
source "files" "data" {
  paths = ["./data"]
  # exclude = ["*.tmp", "cache/**"]
}

# A SQLite database, copied consistently even while it is in use.
# Uncomment it and add source.sqlite.app to the backup's sources.
# source "sqlite" "app" {
#   path = "./app.db"
# }

# Where the encrypted repository lives. The passphrase is read from the
# environment: export VELIN_PASSPHRASE before running velin, and keep a copy
# somewhere safe. Without it, the backups cannot be read.
target "local" "backups" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
}

backup "daily" {
  sources  = [source.files.data]
  target   = target.local.backups
  strategy = "incremental" # or "full"

  # Which snapshots to keep; the others are forgotten after each backup.
  retention {
    keep_last   = 7
    keep_daily  = 14
    keep_weekly = 8
  }

  # After each backup, re-read every chunk and restore into a scratch
  # directory to prove the snapshot can be restored.
  verify {
    checksums    = true
    test_restore = true
  }
}
`

// StarterFile returns the commented starter velin.hcl written by
// `velin init`.
func StarterFile() string { return starterFile }
