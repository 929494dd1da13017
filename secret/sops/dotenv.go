package sops

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// dotenvFile is a SOPS dotenv file: entries and comments in order, metadata apart.
type dotenvFile struct {
	lines []dotenvLine
	meta  *metadata
	key   []byte // the data key, once opened (for comments)
}

type dotenvLine struct {
	comment    string // a "#..." line, kept as is
	key, value string
}

// parseDotenv reads KEY=VALUE lines as SOPS writes them: a literal \n in a value is a
// newline, sops_* keys are the metadata flattened with "__" (sops_age__list_0__map_enc).
func parseDotenv(data []byte) (*dotenvFile, error) {
	d := &dotenvFile{meta: &metadata{}}
	ages := map[int]*struct{ recipient, enc string }{}
	for n, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimRight(raw, "\r")
		switch {
		case strings.TrimSpace(line) == "":
			continue
		case strings.HasPrefix(line, "#"):
			d.lines = append(d.lines, dotenvLine{comment: line})
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d is not KEY=VALUE", n+1)
		}
		v = strings.ReplaceAll(v, `\n`, "\n")
		if !strings.HasPrefix(k, "sops_") {
			d.lines = append(d.lines, dotenvLine{key: k, value: v})
			continue
		}
		if err := d.metaLine(strings.TrimPrefix(k, "sops_"), v, ages); err != nil {
			return nil, err
		}
	}
	for i := 0; i < len(ages); i++ {
		a, ok := ages[i]
		if !ok {
			return nil, errors.New("its age recipients are not numbered 0, 1, ...")
		}
		d.meta.Age = append(d.meta.Age, struct {
			Recipient string `json:"recipient"`
			Enc       string `json:"enc"`
		}{a.recipient, a.enc})
	}
	if d.meta.MAC == "" || d.meta.LastModified == "" {
		return nil, errors.New("its sops_mac or sops_lastmodified line is missing")
	}
	return d, nil
}

func (d *dotenvFile) metaLine(k, v string, ages map[int]*struct{ recipient, enc string }) error {
	m := d.meta
	switch k {
	case "mac":
		m.MAC = v
	case "lastmodified":
		m.LastModified = v
	case "unencrypted_suffix":
		m.UnencryptedSuffix = v
	case "encrypted_suffix":
		m.EncryptedSuffix = v
	case "unencrypted_regex":
		m.UnencryptedRegex = v
	case "encrypted_regex":
		m.EncryptedRegex = v
	case "mac_only_encrypted":
		m.MACOnlyEncrypted = v == "true"
	default:
		rest, ok := strings.CutPrefix(k, "age__list_")
		if !ok {
			return nil // version, other key types: not needed to open the file
		}
		idx, field, _ := strings.Cut(rest, "__map_")
		i, err := strconv.Atoi(idx)
		if err != nil || i < 0 || i > 1000 {
			return fmt.Errorf("sops_%s is not a valid metadata key", k)
		}
		if ages[i] == nil {
			ages[i] = &struct{ recipient, enc string }{}
		}
		switch field {
		case "recipient":
			ages[i].recipient = v
		case "enc":
			ages[i].enc = v
		}
	}
	return nil
}

func (d *dotenvFile) leaves() []leaf {
	var out []leaf
	for _, l := range d.lines {
		if l.comment == "" {
			out = append(out, leaf{path: []string{l.key}, value: l.value})
		}
	}
	return out
}

// emit writes the decrypted entries back as a dotenv file, newlines in values as \n, the
// way `sops decrypt` prints it.
func (d *dotenvFile) emit(values [][]byte) []byte {
	return d.emitWith(values)
}

// commentText is a comment line's text: SOPS encrypts comments too (with the top level's
// path, ":", as additional data; they are not part of the MAC). One that does not open is
// an old file's plain comment, kept as SOPS keeps it.
func (d *dotenvFile) commentText(line string) string {
	c := strings.TrimPrefix(line, "#")
	if isEnc(c) && d.key != nil {
		if v, err := openValue(c, d.key, ":"); err == nil {
			return string(v)
		}
	}
	return c
}

func (d *dotenvFile) emitWith(values [][]byte) []byte {
	var b bytes.Buffer
	i := 0
	for _, l := range d.lines {
		if l.comment != "" {
			b.WriteString("#" + d.commentText(l.comment) + "\n")
			continue
		}
		b.WriteString(l.key + "=" + strings.ReplaceAll(string(values[i]), "\n", `\n`) + "\n")
		i++
	}
	return b.Bytes()
}

func (d *dotenvFile) setKey(k []byte) { d.key = k }
