# Asserts a source refuses: keys on sqlite, no sql; an assert without source.
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
    test_restore = true
    assert "keys" {
      source    = source.sqlite.app
      keys      = "session:*"
      min_count = 1
      sql       = "SELECT 1"
    }
    assert "empty" {
      source = source.sqlite.app
    }
    assert "nosource" {
      sql = "SELECT 1"
    }
  }
}
# expect: assert_refused.hcl:19:5: Invalid assert for source.sqlite.app; source.sqlite.app refuses this assertion: assert "keys": keys and min_count are for Redis sources; use sql here.
# expect: assert_refused.hcl:25:5: Invalid assert for source.sqlite.app; source.sqlite.app refuses this assertion: assert "empty": this source checks SQL: set sql = "SELECT …" (a query returning one true value).
# expect: assert_refused.hcl:28:23: Missing required argument; The argument "source" is required, but no definition was found.
