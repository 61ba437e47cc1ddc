# A function that does not exist.
source "files" "site" {
  paths = [lowercase("./SITE")]
}
# expect: unknown_function.hcl:3:12: Call to unknown function; There is no function named "lowercase".
