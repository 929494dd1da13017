package secret

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// However a secret is printed or encoded, its bytes never show.
func TestBytesNeverPrint(t *testing.T) {
	b := Bytes("API_KEY=hunter2")
	j, _ := json.Marshal(map[string]any{"env": b})
	txt, _ := b.MarshalText()
	for _, out := range []string{fmt.Sprint(b), fmt.Sprintf("%v %+v %#v %s %q", b, b, b, b, b), string(j), string(txt)} {
		if strings.Contains(out, "hunter2") || !strings.Contains(out, Redacted) {
			t.Errorf("printed %q", out)
		}
	}
	if string([]byte(b)) != "API_KEY=hunter2" {
		t.Error("the bytes themselves must stay readable for shipping")
	}
}
