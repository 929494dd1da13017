package sops

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"regexp"
)

// encRule is an encrypted value: ENC[AES256_GCM,data:B64,iv:B64,tag:B64,type:TYPE].
var encRule = regexp.MustCompile(`^ENC\[AES256_GCM,data:([A-Za-z0-9+/=]*),iv:([A-Za-z0-9+/=]+),tag:([A-Za-z0-9+/=]+),type:(str|int|int64|float|bool|bytes|comment)\]$`)

func isEnc(s string) bool { return encRule.MatchString(s) }

// errValue is what a value that does not authenticate yields: a wrong data key, a value
// edited by hand, or a value moved to another key (its path is the additional data).
var errValue = errors.New("does not authenticate")

// openValue decrypts one value with the data key; aad is its path ("a:b:") or, for the MAC,
// the last-modified time. The result is the plaintext bytes, which are also what the MAC
// hashes (SOPS writes a bool as True/False and numbers in their shortest form, and hashes
// the same text).
func openValue(s string, key []byte, aad string) ([]byte, error) {
	m := encRule.FindStringSubmatch(s)
	if m == nil {
		return nil, errors.New("is not a SOPS encrypted value")
	}
	var parts [3][]byte
	for i := range parts {
		b, err := base64.StdEncoding.DecodeString(m[i+1])
		if err != nil {
			return nil, errors.New("is not valid base64")
		}
		parts[i] = b
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, len(parts[1]))
	if err != nil || len(parts[2]) != gcm.Overhead() {
		return nil, errValue
	}
	out, err := gcm.Open(nil, parts[1], append(parts[0], parts[2]...), []byte(aad))
	if err != nil {
		return nil, errValue
	}
	return out, nil
}
