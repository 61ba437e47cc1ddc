# A step type no provider offers.
step "exek" "hook" {
  command = ["true"]
}
# expect: unknown_step_type.hcl:2:6: Unknown step type; There is no step type "exek". Did you mean "exec"? Known step types: "exec" and "http".
