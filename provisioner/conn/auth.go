package conn

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// authMethods offers the identity files first, then the agent's keys. An encrypted identity
// file is used through the agent when the agent holds it, else through Passphrase. Agent
// forwarding is never requested. The returned closer releases the agent socket.
func authMethods(cfg *Config) ([]ssh.AuthMethod, func(), error) {
	var ag agent.ExtendedAgent
	closer := func() {}
	if cfg.AgentSocket != "" {
		if c, err := net.Dial("unix", cfg.AgentSocket); err == nil {
			ag, closer = agent.NewClient(c), func() { c.Close() }
		}
	}
	signers, err := identitySigners(cfg, ag)
	if err != nil {
		closer()
		return nil, nil, err
	}
	if ag != nil {
		if more, err := ag.Signers(); err == nil {
			signers = append(signers, more...)
		}
	}
	if len(signers) == 0 {
		closer()
		return nil, nil, fmt.Errorf("host %s: no SSH key: no identity file readable and no ssh-agent (SSH_AUTH_SOCK)", cfg.Name)
	}
	return []ssh.AuthMethod{ssh.PublicKeys(signers...)}, closer, nil
}

func identitySigners(cfg *Config, ag agent.ExtendedAgent) ([]ssh.Signer, error) {
	var out []ssh.Signer
	for _, f := range cfg.IdentityFiles {
		s, err := loadIdentity(cfg, f, ag)
		if err != nil {
			return nil, err
		}
		if s != nil {
			out = append(out, s)
		}
	}
	return out, nil
}

// loadIdentity returns nil, nil for a key that is to be used through the agent or that
// cannot be unlocked without a prompt.
func loadIdentity(cfg *Config, file string, ag agent.ExtendedAgent) (ssh.Signer, error) {
	pem, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("host %s: identity file: %w", cfg.Name, err)
	}
	s, err := ssh.ParsePrivateKey(pem)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		if agentHolds(ag, missing.PublicKey) || cfg.Passphrase == nil {
			return nil, nil
		}
		pass, perr := cfg.Passphrase(file)
		if errors.Is(perr, ErrNoTerminal) {
			return nil, nil
		}
		if perr != nil {
			return nil, fmt.Errorf("host %s: passphrase for %s: %w", cfg.Name, file, perr)
		}
		s, err = ssh.ParsePrivateKeyWithPassphrase(pem, pass)
	}
	if err != nil {
		return nil, fmt.Errorf("host %s: identity file %s: %w", cfg.Name, file, err)
	}
	return s, nil
}

func agentHolds(ag agent.ExtendedAgent, pub ssh.PublicKey) bool {
	if ag == nil || pub == nil {
		return false
	}
	keys, err := ag.List()
	if err != nil {
		return false
	}
	for _, k := range keys {
		if bytes.Equal(k.Marshal(), pub.Marshal()) {
			return true
		}
	}
	return false
}
