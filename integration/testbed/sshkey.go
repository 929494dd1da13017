package testbed

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"

	"golang.org/x/crypto/ssh"
)

// writeClientKey creates a fresh ed25519 key pair for a bed: the private key in OpenSSH
// format at path (0600), and returns the public key in authorized_keys form.
func writeClientKey(path string) (authorized []byte, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate test key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "berth-testbed")
	if err != nil {
		return nil, fmt.Errorf("encode test key: %w", err)
	}
	if err := WriteFileAtomic(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode test key: %w", err)
	}
	return ssh.MarshalAuthorizedKey(sshPub), nil
}

// ClientConfig returns an SSH client config for the bed's test user with strict host key
// checking against the bed's known_hosts file.
func (b *Bed) ClientConfig() (*ssh.ClientConfig, error) {
	return clientConfig(b.KnownHosts, b.Hosts[0].KeyFile)
}

func clientConfig(knownHostsPath, keyFile string) (*ssh.ClientConfig, error) {
	pem, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("read test key: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		return nil, fmt.Errorf("parse test key %s: %w", keyFile, err)
	}
	check, err := knownHostsCallback(knownHostsPath)
	if err != nil {
		return nil, err
	}
	return &ssh.ClientConfig{
		User:            TestUser,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: check,
	}, nil
}
