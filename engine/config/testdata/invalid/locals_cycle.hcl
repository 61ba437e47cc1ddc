# Locals that refer to each other.
locals {
  a = "${local.b}/x"
  b = "${local.c}/y"
  c = local.a
  d = "fine"
}
# expect: locals_cycle.hcl:3:3: Cycle among local values; These local values refer to each other: local.a → local.b → local.c → local.a. Break the cycle so each value can be computed from the ones before it.
