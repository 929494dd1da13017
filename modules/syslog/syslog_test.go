package syslog

import (
	"strings"
	"testing"
)

func TestDropIn(t *testing.T) {
	got := string(DropIn(Spec{ContainerLogs: "/var/log/containers", Forward: &Forward{Protocol: "tcp", Host: "logs.example.net", Port: 514}}))
	for _, want := range []string{
		`string="/var/log/containers/%programname:::secpath-replace%.log"`,
		`if $syslogfacility-text == "local6" then {`,
		`action(type="omfwd" target="logs.example.net" port="514" protocol="tcp"`,
		"  stop\n}",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("drop-in lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(string(DropIn(Spec{ContainerLogs: "/x"})), "omfwd") {
		t.Error("forwarding configured without forward")
	}
}

func TestDropInValuesCannotAddDirectives(t *testing.T) {
	got := string(DropIn(Spec{ContainerLogs: "/x", Facility: "local6\" then stop", Forward: &Forward{Protocol: "tcp", Host: "a\"\n*.* /tmp/x", Port: 1}}))
	if strings.Contains(got, "\n*.* /tmp/x") || strings.Contains(got, `"local6" then stop`) {
		t.Fatalf("injected:\n%s", got)
	}
}

func TestResourcesOrderRestartsRsyslogOnDropIn(t *testing.T) {
	var addrs []string
	for _, r := range Resources(Spec{ContainerLogs: "/var/log/containers"}) {
		addrs = append(addrs, r.Address())
	}
	want := "package.rsyslog directory./var/log/containers file./etc/logrotate.d/berth-containers file./etc/rsyslog.d/40-berth-containers.conf service.rsyslog"
	if got := strings.Join(addrs, " "); got != want {
		t.Fatalf("got %s", got)
	}
}

func TestLogrotateQuotesThePath(t *testing.T) {
	got := string(Logrotate(Spec{ContainerLogs: "/var/log/containers/", Rotate: 3}))
	if !strings.Contains(got, "\"/var/log/containers/*.log\" {\n") || !strings.Contains(got, "rotate 3\n") {
		t.Fatalf("logrotate rules:\n%s", got)
	}
}
