package conn

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/berth-dev/berth/provisioner/conn/conntest"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// encryptedKey writes a passphrase-protected key and returns its path and private key.
func encryptedKey(t *testing.T, pass string) (string, ed25519.PrivateKey) {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	blk, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte(pass))
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "id_enc")
	os.WriteFile(f, pem.EncodeToMemory(blk), 0o600)
	return f, priv
}

func serverFor(t *testing.T, priv ed25519.PrivateKey) (*conntest.Server, *Config) {
	signer, _ := ssh.NewSignerFromKey(priv)
	srv := conntest.Start(t, signer.PublicKey())
	host, port := srv.Addr()
	return srv, &Config{Name: "h", Address: host, Port: port, User: "u", KnownHosts: []string{conntest.KnownHosts(t, srv)}, ConnectTimeout: 5 * time.Second}
}

func TestEncryptedKeyThroughPassphrase(t *testing.T) {
	file, priv := encryptedKey(t, "s3cret")
	_, cfg := serverFor(t, priv)
	cfg.IdentityFiles = []string{file}
	asked := 0
	cfg.Passphrase = func(string) ([]byte, error) { asked++; return []byte("s3cret"), nil }
	dial(t, cfg)
	if asked != 1 {
		t.Errorf("passphrase asked %d times, want 1", asked)
	}
}

func TestEncryptedKeyThroughAgentNeedsNoPrompt(t *testing.T) {
	file, priv := encryptedKey(t, "s3cret")
	_, cfg := serverFor(t, priv)
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	kr := agent.NewKeyring()
	kr.Add(agent.AddedKey{PrivateKey: priv})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go agent.ServeAgent(kr, c)
		}
	}()
	cfg.IdentityFiles, cfg.AgentSocket = []string{file}, sock
	cfg.Passphrase = func(string) ([]byte, error) {
		t.Error("prompted although the agent holds the key")
		return nil, ErrNoTerminal
	}
	dial(t, cfg)
}

func TestNoUsableKeyIsAClearError(t *testing.T) {
	file, priv := encryptedKey(t, "s3cret")
	_, cfg := serverFor(t, priv)
	cfg.IdentityFiles = []string{file}
	cfg.Passphrase = func(string) ([]byte, error) { return nil, ErrNoTerminal }
	if _, err := Dial(context.Background(), cfg); err == nil {
		t.Fatal("connected without a usable key")
	}
}
