package txn

// bootIDFile changes at every boot (random, set by the kernel).
const bootIDFile = "/proc/sys/kernel/random/boot_id"
