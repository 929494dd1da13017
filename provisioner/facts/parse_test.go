package facts

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

func TestParseOSRelease(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want OS
	}{
		{`PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION_CODENAME=bookworm
ID=debian`, OS{ID: "debian", Version: "12", Codename: "bookworm", Name: "Debian GNU/Linux 12 (bookworm)"}},
		{"ID=ubuntu\nVERSION_ID='24.04'\n# comment\n", OS{ID: "ubuntu", Version: "24.04"}},
		{"", OS{}},
	} {
		if got := ParseOSRelease(tc.in); got != tc.want {
			t.Errorf("ParseOSRelease(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestParseMeminfo(t *testing.T) {
	got := ParseMeminfo("MemTotal:        8048576 kB\nMemFree:  1 kB\nMemAvailable:    4024288 kB\n")
	if want := (Memory{Total: 8048576 * 1024, Available: 4024288 * 1024}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestParseDf(t *testing.T) {
	blocks := `Filesystem     1024-blocks    Used Available Capacity Mounted on
/dev/vda1         20511312 6000000  13446300      31% /
tmpfs               401004       0    401004       0% /run/user/1000
/dev/vdb1          1000000       0   1000000       0% /srv/data dir
overlay           20511312 6000000  13446300      31% /var/lib/docker/overlay2/abc/merged
`
	inodes := `Filesystem      Inodes  IUsed   IFree IUse% Mounted on
tmpfs           100251      1  100250    1% /run/user/1000
/dev/vdb1        65536     11   65525    1% /srv/data dir
/dev/vda1      1310720 200000 1110720   16% /
`
	got, err := ParseDf(blocks, inodes)
	if err != nil {
		t.Fatal(err)
	}
	want := []Mount{
		{Path: "/", Device: "/dev/vda1", Size: 20511312 * 1024, Free: 13446300 * 1024, Inodes: 1310720, InodesFree: 1110720},
		{Path: "/srv/data dir", Device: "/dev/vdb1", Size: 1000000 * 1024, Free: 1000000 * 1024, Inodes: 65536, InodesFree: 65525},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if got, _ := ParseDf("h\noverlay 10 1 9 10% /\n", ""); len(got) != 1 || got[0].Path != "/" {
		t.Errorf("an overlay root (a container host) must be kept: %+v", got)
	}
	if _, err := ParseDf("h\n/dev/x 1 2\n", ""); err == nil {
		t.Error("short df line accepted")
	}
}

func TestParseListenPorts(t *testing.T) {
	in := "0016\n1F90\n0050\n0016\nawk: cannot open /proc/net/tcp6\n\n"
	if got, want := ParseListenPorts(in), []int{22, 80, 8080}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// The probe's awk program against a real /proc/net/tcp layout, run by this machine's awk.
func TestListenPortsProgram(t *testing.T) {
	awk, err := exec.LookPath("awk")
	if err != nil {
		t.Skip("no awk here")
	}
	f := filepath.Join(t.TempDir(), "tcp")
	os.WriteFile(f, []byte(`  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1
   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 2
   2: 0200007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3
   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 0 0 0 0 0
`), 0o644)
	out, _ := exec.Command(awk, listenPorts, f, filepath.Join(t.TempDir(), "missing-tcp6")).Output()
	if string(out) != "0016\n0050\n" {
		t.Errorf("awk printed %q, want each listening port once", out)
	}
	if got, want := ParseListenPorts(string(out)), []int{22, 80}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestParseDockerVersion(t *testing.T) {
	for in, want := range map[string]string{
		"Docker version 26.1.5+dfsg1, build a72d7cd\n": "26.1.5+dfsg1",
		"Docker version 20.10.24+dfsg1, build 297e128": "20.10.24+dfsg1",
	} {
		if got := ParseDockerVersion(in); got != want {
			t.Errorf("ParseDockerVersion(%q) = %q, want %q", in, got, want)
		}
	}
}
