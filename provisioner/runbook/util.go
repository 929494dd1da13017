package runbook

import (
	"crypto/rand"
	"encoding/hex"
	"sort"
)

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}
