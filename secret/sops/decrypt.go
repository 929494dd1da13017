package sops

import (
	"bytes"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// Format is the layout of an encrypted file.
type Format int

const (
	NotSOPS Format = iota
	Dotenv         // KEY=ENC[...] lines, metadata in sops_* lines
	JSON           // a JSON document with a "sops" object
	Binary         // any file: JSON with one "data" value and "sops"
	YAML           // recognised, not supported
)

var (
	dotenvMAC = regexp.MustCompile(`(?m)^sops_mac=ENC\[`)
	yamlMAC   = regexp.MustCompile(`(?m)^sops:\s*$[\s\S]*^\s+mac: ENC\[`)
)

// Detect says whether data is a SOPS file, and which kind. It is cheap and never fails: a
// file that only looks like one fails in Decrypt, with the reason.
func Detect(data []byte) Format {
	t := bytes.TrimSpace(data)
	switch {
	case bytes.HasPrefix(t, []byte("{")) && bytes.Contains(t, []byte(`"sops"`)) && bytes.Contains(t, []byte(`"mac"`)):
		if doc, err := parseJSON(t); err == nil && doc.sops != nil {
			if len(doc.root.obj) == 1 && doc.root.obj[0].key == "data" {
				return Binary
			}
			return JSON
		}
	case dotenvMAC.Match(data):
		return Dotenv
	case yamlMAC.Match(data):
		return YAML
	}
	return NotSOPS
}

// metadata is the part of the "sops" section this package uses.
type metadata struct {
	Age []struct {
		Recipient string `json:"recipient"`
		Enc       string `json:"enc"`
	} `json:"age"`
	LastModified      string `json:"lastmodified"`
	MAC               string `json:"mac"`
	UnencryptedSuffix string `json:"unencrypted_suffix"`
	EncryptedSuffix   string `json:"encrypted_suffix"`
	UnencryptedRegex  string `json:"unencrypted_regex"`
	EncryptedRegex    string `json:"encrypted_regex"`
	MACOnlyEncrypted  bool   `json:"mac_only_encrypted"`
	hasOtherKeys      bool   // kms, pgp, ... entries: named in the missing-key error
}

// leaf is one value of the document, in order, with its path.
type leaf struct {
	path  []string
	value string // the encrypted value, or the plain text of an unencrypted one
	plain bool   // not a string in the file (a number or bool), or null
	null  bool
}

// ErrNoKey is returned (wrapped) when none of the keys opens the file's data key.
var ErrNoKey = errors.New("no age key can open it")

// Decrypt opens a SOPS file and returns its plaintext: the dotenv lines, the JSON document
// without its "sops" section, or a binary file's bytes. Every value must authenticate and
// the MAC must match.
func Decrypt(data []byte, keys *Keys) ([]byte, error) {
	var (
		meta    *metadata
		leaves  []leaf
		emit    func(values [][]byte) []byte
		keyUser any // a format that needs the data key to emit (dotenv comments)
	)
	switch Detect(data) {
	case Dotenv:
		d, err := parseDotenv(data)
		if err != nil {
			return nil, err
		}
		meta, leaves, emit, keyUser = d.meta, d.leaves(), d.emit, d
	case JSON, Binary:
		doc, err := parseJSON(bytes.TrimSpace(data))
		if err != nil {
			return nil, err
		}
		meta, leaves, emit = doc.sops, doc.leaves(), doc.emit
	case YAML:
		return nil, errors.New("SOPS YAML files are not supported; encrypt it as dotenv, JSON or binary (sops --input-type binary)")
	default:
		return nil, errors.New("not a SOPS file")
	}
	if meta.MACOnlyEncrypted {
		return nil, errors.New("mac_only_encrypted files are not supported")
	}
	key, err := dataKey(meta, keys)
	if err != nil {
		return nil, err
	}
	if setter, ok := keyUser.(interface{ setKey([]byte) }); ok {
		setter.setKey(key)
	}
	values, err := openLeaves(meta, leaves, key)
	if err != nil {
		return nil, err
	}
	if err := checkMAC(meta, values, leaves, key); err != nil {
		return nil, err
	}
	return emit(values), nil
}

func dataKey(meta *metadata, keys *Keys) ([]byte, error) {
	if len(meta.Age) == 0 {
		return nil, errors.New("it has no age recipient (only age keys are supported: KMS, PGP and Vault need the sops command)")
	}
	var recipients []string
	for _, a := range meta.Age {
		recipients = append(recipients, a.Recipient)
		if keys.Empty() {
			continue
		}
		r, err := age.Decrypt(armor.NewReader(strings.NewReader(a.Enc)), keys.ids...)
		if err != nil {
			continue
		}
		key, err := io.ReadAll(r)
		if err == nil && len(key) == 32 {
			return key, nil
		}
	}
	return nil, fmt.Errorf("%w (it is encrypted to %s; keys looked for in %s)", ErrNoKey, strings.Join(recipients, ", "), keys.Source())
}

func openLeaves(meta *metadata, leaves []leaf, key []byte) ([][]byte, error) {
	plainOK := meta.EncryptedSuffix != "" || meta.EncryptedRegex != "" || meta.UnencryptedRegex != ""
	values := make([][]byte, len(leaves))
	for i, l := range leaves {
		name := strings.Join(l.path, ".")
		switch {
		case l.null:
			continue
		case l.value == "" && !l.plain:
			values[i] = []byte{}
		case unencrypted(l.path, meta.UnencryptedSuffix) || (plainOK && !isEnc(l.value)):
			values[i] = []byte(l.value)
		case l.plain:
			return nil, fmt.Errorf("value of %s is not encrypted", name)
		default:
			v, err := openValue(l.value, key, strings.Join(l.path, ":")+":")
			if err != nil {
				return nil, fmt.Errorf("value of %s %w: the file was changed after it was encrypted", name, err)
			}
			values[i] = v
		}
	}
	return values, nil
}

func unencrypted(path []string, suffix string) bool {
	if suffix == "" {
		return false
	}
	for _, p := range path {
		if strings.HasSuffix(p, suffix) {
			return true
		}
	}
	return false
}

// checkMAC recomputes the MAC over every value in document order and compares it, in
// constant time, with the file's, which is itself encrypted with lastmodified as additional
// data: a value added, removed, reordered or replaced by another encrypted value fails here.
func checkMAC(meta *metadata, values [][]byte, leaves []leaf, key []byte) error {
	h := sha512.New()
	for i, v := range values {
		if !leaves[i].null {
			h.Write(v)
		}
	}
	want, err := openValue(meta.MAC, key, meta.LastModified)
	if err != nil {
		return fmt.Errorf("its MAC %w: the file was changed after it was encrypted", err)
	}
	got := strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
	if subtle.ConstantTimeCompare([]byte(got), bytes.ToUpper(want)) != 1 {
		return errors.New("its MAC does not match its values: the file was changed after it was encrypted")
	}
	return nil
}
