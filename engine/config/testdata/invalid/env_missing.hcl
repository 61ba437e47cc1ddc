# env() of a variable that is not set, without a default.
target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_NOT_SET")
}
# expect: env_missing.hcl:4:16: Error in function call; Call to function "env" failed: environment variable VELIN_NOT_SET is not set; export it (export VELIN_NOT_SET=…) or give a default: env("VELIN_NOT_SET", "…").
