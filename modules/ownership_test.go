package modules

import (
	"reflect"
	"testing"
)

func TestOwnership(t *testing.T) {
	o := Ownership{Owner: "www-data"}.WithDefaults(0o750)
	if o != (Ownership{Mode: 0o750, Owner: "www-data", Group: "root"}) || o.String() != "0750 www-data:root" {
		t.Fatalf("defaults: %+v %q", o, o)
	}
	if why := o.Mismatch(ProbeResult{Mode: 0o750, Owner: "www-data", Group: "root"}); why != nil {
		t.Errorf("a matching path: %v", why)
	}
	want := []string{"mode is 0777, want 0750", "owner is root:root, want www-data:root"}
	if why := o.Mismatch(ProbeResult{Mode: 0o777, Owner: "root", Group: "root"}); !reflect.DeepEqual(why, want) {
		t.Errorf("mismatch %q, want %q", why, want)
	}
}
