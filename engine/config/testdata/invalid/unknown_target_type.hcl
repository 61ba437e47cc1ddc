# A target type no provider offers.
target "s4" "disk" {
  path = "./backups"
}
# expect: unknown_target_type.hcl:2:8: Unknown target type; There is no target type "s4". Known target types: "local".
