package inventory

import (
	"fmt"

	"github.com/berth-dev/berth/secret/sops"
)

// openSecret returns data decrypted when it is a SOPS file (age keys from SOPS_AGE_KEY,
// SOPS_AGE_KEY_FILE or sops' default keys file), else data itself; encrypted says which.
// Decryption happens in memory: nothing decrypted is written anywhere. The error names the
// file (rel) and says why: no key opens it, or it was changed after it was encrypted.
func (l *loader) openSecret(rel string, data []byte) (plain []byte, encrypted bool, err error) {
	if sops.Detect(data) == sops.NotSOPS {
		return data, false, nil
	}
	if l.keys == nil && l.keysErr == nil {
		l.keys, l.keysErr = sops.LoadKeys(l.opts.getenv)
	}
	if l.keysErr != nil {
		return nil, true, fmt.Errorf("%s is SOPS-encrypted, and the age keys cannot be read: %w", rel, l.keysErr)
	}
	plain, err = sops.Decrypt(data, l.keys)
	if err != nil {
		return nil, true, fmt.Errorf("%s is SOPS-encrypted and cannot be opened: %w", rel, err)
	}
	return plain, true, nil
}

// readSecretWithin reads a file of the inventory directory, decrypting it when it is a SOPS
// file; the ciphertext is what the inventory hash covers.
func (l *loader) readSecretWithin(rel string) ([]byte, bool, error) {
	_, data, err := readWithin(l.inv.Dir, rel)
	if err != nil {
		return nil, false, err
	}
	return l.openSecret(rel, data)
}
