package balancer

import "testing"

// A `show stat` answer of HAProxy 2.6, cut to its first columns and the servers' rows.
const showStat = `# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight
hello,FRONTEND,,,1,3,262124,120,0,0,0,0,0,,,,,OPEN,
hello_http,hello-1,0,0,2,2,,40,0,0,,0,,0,0,0,0,UP,100
hello_http,hello-2,0,0,0,1,,40,0,0,,0,,0,0,0,0,MAINT,100
hello_http,hello-3,0,0,0,1,,40,0,0,,0,,0,0,0,0,DOWN 1/2,100
hello_http,BACKEND,0,0,2,3,,80,0,0,0,0,,0,0,0,0,UP,200
`

func TestParseStats(t *testing.T) {
	st, err := ParseStats([]byte(showStat))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]ServerStat{
		"hello_http/hello-1": {Status: "UP", Sessions: 2},
		"hello_http/hello-2": {Status: "MAINT"},
		"hello_http/hello-3": {Status: "DOWN 1/2"},
	}
	if len(st) != len(want) {
		t.Fatalf("got %v, want %v", st, want)
	}
	for k, w := range want {
		if st[k] != w {
			t.Errorf("%s: got %+v, want %+v", k, st[k], w)
		}
	}
	if !st["hello_http/hello-1"].Up() || st["hello_http/hello-3"].Up() {
		t.Errorf("Up() wrong: %v", st)
	}
	if _, err := ParseStats([]byte("Unknown command\n")); err == nil {
		t.Error("an answer without the columns was accepted")
	}
}
