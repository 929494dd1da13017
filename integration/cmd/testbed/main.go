// Command testbed starts, shows and removes berth test beds by hand, and prebuilds images.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "error: unknown command %q\n%s", args[0], usage)
		return 2
	}
	if err := c(ctx, args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		return 1
	}
	return 0
}

const usage = `usage: testbed COMMAND [flags]
  up [-n 3] [-release bookworm|trixie|mixed] [-docker] [-registry] [-inventory DIR]
                     start a bed and leave it running (state in the cache dir)
  status [BED]       show a bed started by up (BED: its prefix; needed when several are up)
  down [BED]         remove it
  inventory DIR [BED]
                     write hosts.hcl and known_hosts for it into DIR
  build [-release bookworm|trixie|all] [-docker]
                     build (or check) the cached images
`

var commands = map[string]func(context.Context, []string) error{}
