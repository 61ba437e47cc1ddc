// Package s3test gives tests a fresh bucket on the MinIO server that
// scripts/minio.sh starts, and removes it with its objects when the test
// ends.
//
// The server is described by the env file that `bash scripts/minio.sh
// start` writes (mode 0600): its path is VELIN_TEST_S3, by default
// $XDG_CACHE_HOME/velin/minio-run/env (~/.cache/velin/minio-run/env), with
// the lines
//
//	VELIN_S3_ENDPOINT=http://127.0.0.1:PORT
//	VELIN_S3_ACCESS_KEY=…
//	VELIN_S3_SECRET_KEY=…
//
// When no server is running the test is skipped with a message saying how
// to start one, except with CI=true, where a missing server is a failure
// (.ci/run starts it), as in providers/dbtest.
package s3test
