package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/berth-dev/berth/integration/testbed"
)

func init() {
	commands["up"] = up
	commands["down"] = down
	commands["status"] = status
	commands["inventory"] = inventory
}

func up(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	n := fs.Int("n", 3, "number of hosts")
	release := fs.String("release", "bookworm", "bookworm, trixie or mixed")
	withDocker := fs.Bool("docker", false, "hosts with docker.io, docker-compose and rsyslog preinstalled")
	registry := fs.Bool("registry", false, "run a TLS registry at registry.test:5000")
	invDir := fs.String("inventory", "", "also write hosts.hcl and known_hosts into this directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	spec := *release
	if *withDocker {
		spec += "-docker"
	}
	spec += ":" + strconv.Itoa(*n)
	if *registry {
		spec += "+registry"
	}
	opts, err := testbed.ParseSpec(spec)
	if err != nil {
		return err
	}
	opts.Log, opts.Keep = os.Stderr, true
	if err := testbed.EnsureEngine(ctx, os.Stderr); err != nil {
		return err
	}
	b, err := testbed.Start(ctx, opts)
	if err != nil {
		return err
	}
	if err := saveBed(b); err != nil {
		b.Close()
		return err
	}
	if *invDir != "" {
		if err := b.WriteInventory(*invDir); err != nil {
			return err
		}
	}
	printBed(b)
	return nil
}

// down removes a bed; a prefix given explicitly is removed even without a state file (a bed
// whose state was lost is still found by its labels).
func down(ctx context.Context, args []string) error {
	prefix := ""
	if len(args) > 0 {
		prefix = args[0]
	} else {
		b, err := loadBed(args)
		if err != nil {
			return err
		}
		prefix = b.Prefix
	}
	if err := testbed.Remove(ctx, prefix); err != nil {
		return err
	}
	fmt.Printf("bed %s removed\n", prefix)
	return nil
}

func status(ctx context.Context, args []string) error {
	b, err := loadBed(args)
	if err != nil {
		return err
	}
	printBed(b)
	for _, h := range b.Hosts {
		state, err := h.State(ctx)
		if err != nil {
			state = err.Error()
		}
		fmt.Printf("%s: %s\n", h.Name, state)
	}
	return nil
}

func inventory(ctx context.Context, args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return errors.New("usage: testbed inventory DIR [BED]")
	}
	b, err := loadBed(args[1:])
	if err != nil {
		return err
	}
	if err := b.WriteInventory(args[0]); err != nil {
		return err
	}
	fmt.Printf("wrote %s/hosts.hcl and %s/known_hosts\n", args[0], args[0])
	return nil
}

func printBed(b *testbed.Bed) {
	fmt.Printf("bed %s on %s (%s)\nkey: %s\nknown_hosts: %s\n", b.Prefix, b.Network, b.Subnet, b.KeyFile, b.KnownHosts)
	if b.Registry != nil {
		fmt.Printf("registry: %s at %s (push from here: %s), image %s\n", b.Registry.Address, b.Registry.IP, b.Registry.PushAddress, b.Registry.Image)
	}
	for _, h := range b.Hosts {
		fmt.Printf("%s %s %s: ssh -i %s -o UserKnownHostsFile=%s %s@%s\n",
			h.Name, h.Release, h.Address, h.KeyFile, h.KnownHosts, h.User, h.Address)
	}
}
