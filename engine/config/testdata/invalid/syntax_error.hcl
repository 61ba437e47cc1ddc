# An unclosed block.
source "files" "site" {
  paths = ["./site"]
# expect: syntax_error.hcl:2:23: Unclosed configuration block; There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.
