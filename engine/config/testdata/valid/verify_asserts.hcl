# A verify block with assertions on a database source.
source "files" "site" {
  paths = ["./site"]
}
source "sqlite" "app" {
  path = "./app.db"
}
target "local" "disk" {
  path = "./backups"
}
backup "nightly" {
  sources = [source.files.site, source.sqlite.app]
  target  = target.local.disk
  verify {
    test_restore = true
    assert "customers" {
      source = source.sqlite.app
      sql    = "SELECT count(*) > 0 FROM customers"
    }
    assert "orders" {
      source = source.sqlite.app
      sql    = "SELECT count(*) >= 0 FROM orders"
    }
  }
}
