# A source type no provider offers.
source "file" "site" {
  paths = ["./site"]
}
# expect: unknown_source_type.hcl:2:8: Unknown source type; There is no source type "file". Did you mean "files"? Known source types: "files" and "sqlite".
