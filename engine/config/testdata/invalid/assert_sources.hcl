# Asserts on a source the backup does not save, an undeclared one, a files source, and a duplicate name.
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
  sources = [source.sqlite.app, source.files.site]
  target  = target.local.disk
  verify {
    test_restore = true
    assert "a" {
      source = source.sqlite.other
      sql    = "SELECT 1"
    }
    assert "b" {
      source = source.sqlite.nosuch
      sql    = "SELECT 1"
    }
    assert "c" {
      source = source.files.site
      sql    = "SELECT 1"
    }
    assert "d" {
      source = source.sqlite.app
      sql    = "SELECT 1"
    }
    assert "d" {
      source = source.sqlite.app
      sql    = "SELECT 2"
    }
  }
}
# expect: assert_sources.hcl:20:16: Source not in backup; backup.nightly does not back up source.sqlite.other, so its test restore cannot check it. backup.nightly backs up: source.sqlite.app, source.files.site. Name one of these, or add source.sqlite.other to sources.
# expect: assert_sources.hcl:24:16: Reference to undeclared source; There is no source declared as source.sqlite.nosuch. Declared sources: source.files.site, source.sqlite.app, source.sqlite.other.
# expect: assert_sources.hcl:28:16: Source cannot run assertions; source.files.site (type "files") has no assertions: its test restore compares counts with the snapshot only. Assert on a database source (sqlite, postgres, mysql, redis), or remove this assert block.
# expect: assert_sources.hcl:35:12: Duplicate assert; An assert named "d" is already declared at testdata/invalid/assert_sources.hcl:31:5. Give each assert of a backup its own name.
