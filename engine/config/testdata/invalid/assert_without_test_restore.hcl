# An assert without test_restore = true.
source "files" "site" {
  paths = ["./site"]
}
source "sqlite" "app" {
  path = "./app.db"
}
source "sqlite" "other" {
  path = "./other.db"
}
target "local" "disk" {
  path = "./backups"
}
backup "nightly" {
  sources = [source.sqlite.app]
  target  = target.local.disk
  verify {
    checksums = true
    assert "customers" {
      source = source.sqlite.app
      sql    = "SELECT 1"
    }
  }
}
# expect: assert_without_test_restore.hcl:19:5: assert needs test_restore; Assertions run on a test restore of the new snapshot. Add test_restore = true to this verify block.
