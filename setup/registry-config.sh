# write_registry_config FILE STORAGE_DIR ADDR READONLY
# The one docker-registry configuration berth uses: the seeding step (writable) and the test
# harness (read-only, so no test can change the seeded images) both call it.
write_registry_config() {
  cat >"$1" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $2
  delete:
    enabled: false
  maintenance:
    uploadpurging:
      enabled: false
    readonly:
      enabled: $4
http:
  addr: $3
YAML
}
