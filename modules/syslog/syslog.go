// Package syslog manages rsyslog as the container log sink: rsyslog installed and running, a
// drop-in that writes each container's lines to its own file and optionally forwards them, and
// logrotate for those files. rsyslog is restarted only when its drop-in changed.
//
// Containers are recognised by syslog facility: Docker's syslog log driver sends with the
// facility set in daemon.json (log-opts.syslog-facility), berth's default being local6, and the
// tag (the container name) becomes the file name.
package syslog

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/apt"
	"github.com/berth-dev/berth/modules/directory"
	"github.com/berth-dev/berth/modules/file"
	"github.com/berth-dev/berth/modules/service"
)

// DefaultFacility is the facility berth routes as container logs.
const DefaultFacility = "local6"

// Paths of the files berth manages.
const (
	DropInPath    = "/etc/rsyslog.d/40-berth-containers.conf"
	LogrotatePath = "/etc/logrotate.d/berth-containers"
)

// Spec is the syslog host layer for one host.
type Spec struct {
	ContainerLogs string // directory for per-container files; "" to not write them
	Facility      string // default local6
	Forward       *Forward
	Rotate        int // rotated files kept; default 14
}

// Forward sends container lines to a remote collector.
type Forward struct {
	Protocol string // tcp or udp
	Host     string
	Port     int
}

var facilityRe = regexp.MustCompile(`^(local[0-7]|daemon|user)$`)

// Resources returns rsyslog's resources in apply order.
func Resources(s Spec) []modules.Resource {
	if s.Facility == "" {
		s.Facility = DefaultFacility
	}
	if s.Rotate == 0 {
		s.Rotate = 14
	}
	enabled := true
	rs := []modules.Resource{apt.New(apt.Spec{Name: "rsyslog", Names: []string{"rsyslog", "logrotate"}})}
	if s.ContainerLogs != "" {
		rs = append(rs, directory.New(directory.Spec{Path: s.ContainerLogs, Mode: 0o755, Owner: "root", Group: "adm"}))
		rs = append(rs, file.New(file.Spec{Path: LogrotatePath, Content: Logrotate(s), Mode: 0o644}))
	}
	rs = append(rs,
		file.New(file.Spec{Path: DropInPath, Content: DropIn(s), Mode: 0o644}),
		service.New(service.Spec{Name: "rsyslog", Enabled: &enabled, State: "running", DependsOn: []string{"file." + DropInPath}}),
	)
	return rs
}

// DropIn renders the rsyslog configuration. Values come from a validated inventory; they are
// still quoted as rsyslog string literals so no value can add a directive.
func DropIn(s Spec) []byte {
	if s.Facility == "" {
		s.Facility = DefaultFacility
	}
	if !facilityRe.MatchString(s.Facility) {
		s.Facility = DefaultFacility
	}
	var b strings.Builder
	b.WriteString("# Managed by berth; changes here are reported as drift and overwritten by apply.\n")
	fmt.Fprintf(&b, "# Container log lines arrive with syslog facility %s and the container name as tag.\n", s.Facility)
	if s.ContainerLogs != "" {
		// secpath-replace turns any '/' or '..' in a tag into '_': a tag cannot escape the directory.
		fmt.Fprintf(&b, "template(name=\"BerthContainerFile\" type=\"string\" string=%s)\n",
			rsyslogString(path.Join(s.ContainerLogs, "%programname:::secpath-replace%.log")))
	}
	fmt.Fprintf(&b, "if $syslogfacility-text == %s then {\n", rsyslogString(s.Facility))
	if s.ContainerLogs != "" {
		b.WriteString("  action(type=\"omfile\" dynaFile=\"BerthContainerFile\" fileCreateMode=\"0640\" fileGroup=\"adm\")\n")
	}
	if f := s.Forward; f != nil {
		fmt.Fprintf(&b, "  action(type=\"omfwd\" target=%s port=%s protocol=%s\n", rsyslogString(f.Host), rsyslogString(fmt.Sprint(f.Port)), rsyslogString(f.Protocol))
		b.WriteString("         queue.type=\"LinkedList\" queue.size=\"10000\" action.resumeRetryCount=\"-1\")\n")
	}
	b.WriteString("  stop\n}\n")
	return []byte(b.String())
}

// rsyslogString quotes s as an RainerScript string constant.
func rsyslogString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", "", "\r", "")
	return `"` + r.Replace(s) + `"`
}

// Logrotate renders the logrotate rules for the per-container files. The inventory allows only
// plain directory names; the path is double-quoted anyway (logrotate globs inside quotes) so a
// space could never split it into two patterns.
func Logrotate(s Spec) []byte {
	return []byte(fmt.Sprintf(`# Managed by berth.
"%s/*.log" {
	daily
	rotate %d
	maxsize 100M
	missingok
	notifempty
	compress
	delaycompress
	sharedscripts
	postrotate
		/usr/lib/rsyslog/rsyslog-rotate
	endscript
}
`, strings.TrimRight(s.ContainerLogs, "/"), s.Rotate))
}
