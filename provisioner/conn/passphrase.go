package conn

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/term"
)

// ErrNoTerminal: a passphrase was needed but there is no terminal to ask on. The key is
// skipped (the agent's keys are still offered).
var ErrNoTerminal = errors.New("no terminal to ask for a key passphrase")

// TerminalPassphrase returns a Config.Passphrase that asks on /dev/tty, once per key file
// however many hosts connect in parallel. Without a terminal it returns ErrNoTerminal.
func TerminalPassphrase() func(file string) ([]byte, error) {
	var mu sync.Mutex
	cache := map[string][]byte{}
	return func(file string) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		if p, ok := cache[file]; ok {
			return p, nil
		}
		tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
		if err != nil {
			return nil, ErrNoTerminal
		}
		defer tty.Close()
		fmt.Fprintf(tty, "Enter passphrase for %s (or add it to ssh-agent): ", file)
		p, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(tty)
		if err != nil {
			return nil, err
		}
		cache[file] = p
		return p, nil
	}
}
