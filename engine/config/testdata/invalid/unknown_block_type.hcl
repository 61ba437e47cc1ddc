# A misspelt block type.
sourc "files" "site" {
  paths = ["./site"]
}
# expect: unknown_block_type.hcl:2:1: Unsupported block type; Blocks of type "sourc" are not expected here. Did you mean "source"?
