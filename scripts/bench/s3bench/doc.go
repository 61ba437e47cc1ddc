// Command s3bench is the S3 helper of the benchmarks in scripts/bench
// (s3.sh, issue 9 §6); it is not part of velin.
//
//	s3bench proxy -target URL -log FILE -addr-file FILE
//	s3bench mb BUCKET...
//	s3bench fill -objects N [-seed N] BUCKET...
//	s3bench ls BUCKET[/PREFIX]...
//	s3bench size BUCKET[/PREFIX]...
//	s3bench purge BUCKET...
//
// proxy is a reverse proxy in front of the S3 server that every tool under
// test talks to: it appends one line per request to FILE (operation,
// status, bytes received, bytes sent, path; see classify), so that the
// requests of restic, rclone and velin are counted in the same way. The other
// commands talk to the server directly (never through the proxy), with the
// endpoint and credentials of the environment: VELIN_S3_ENDPOINT,
// VELIN_S3_ACCESS_KEY and VELIN_S3_SECRET_KEY (the env file of
// scripts/minio.sh); nothing secret is taken from the command line.
package main
