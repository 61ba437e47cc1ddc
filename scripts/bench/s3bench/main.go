package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "s3bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: s3bench proxy|mb|fill|ls|size|purge ...")
	}
	if args[0] == "proxy" {
		return runProxy(ctx, args[1:])
	}
	c, err := clientFromEnv()
	if err != nil {
		return err
	}
	switch args[0] {
	case "mb":
		return makeBuckets(ctx, c, args[1:])
	case "fill":
		return runFill(ctx, c, args[1:])
	case "ls":
		return listObjects(ctx, c, args[1:], os.Stdout)
	case "size":
		return printSize(ctx, c, args[1:], os.Stdout)
	case "purge":
		return purgeBuckets(ctx, c, args[1:])
	}
	return fmt.Errorf("unknown command %q (proxy, mb, fill, ls, size, purge)", args[0])
}
