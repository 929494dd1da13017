package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/berth-dev/berth/integration/testbed"
)

func init() { commands["build"] = build }

// build builds the images of one or all releases, so a CI job can warm the cache up front.
func build(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	release := fs.String("release", "all", "bookworm, trixie or all")
	withDocker := fs.Bool("docker", false, "also build the variant with docker.io preinstalled")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := testbed.EnsureEngine(ctx, os.Stderr); err != nil {
		return err
	}
	releases := []string{*release}
	if *release == "all" {
		releases = []string{testbed.Bookworm, testbed.Trixie}
	}
	for _, r := range releases {
		variants := []bool{false}
		if *withDocker {
			variants = append(variants, true)
		}
		for _, d := range variants {
			start := time.Now()
			name, err := testbed.EnsureImage(ctx, os.Stderr, r, d)
			if err != nil {
				return err
			}
			fmt.Printf("%s ready in %s\n", name, time.Since(start).Round(100*time.Millisecond))
		}
	}
	return nil
}
