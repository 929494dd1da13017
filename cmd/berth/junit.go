package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"strings"

	"github.com/berth-dev/berth/provisioner"
)

// JUnit XML, the subset CI dashboards read: one suite per host, one case per resource.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Name    string       `xml:"name,attr"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func junitReport(p *provisioner.Plan) junitSuites {
	out := junitSuites{Name: "berth drift"}
	for _, h := range p.Hosts {
		s := junitSuite{Name: h.Host}
		if h.Error != "" {
			s.Cases = append(s.Cases, junitCase{Name: "connect and observe", Classname: h.Host,
				Error: &junitMessage{Message: h.Error, Text: h.Hint}})
			s.Errors++
		}
		drift := map[string][]string{}
		for _, c := range h.Changes {
			drift[c.Address] = append(drift[c.Address], fmt.Sprintf("%s %s", c.Action, c.Reason))
		}
		for _, r := range h.Resources {
			tc := junitCase{Name: r, Classname: h.Host}
			if d := drift[r]; len(d) > 0 {
				tc.Failure = &junitMessage{Message: "drift: " + d[0], Text: strings.Join(d, "\n")}
				s.Failures++
			}
			s.Cases = append(s.Cases, tc)
		}
		s.Tests = len(s.Cases)
		out.Suites = append(out.Suites, s)
	}
	return out
}

func writeJUnit(path string, p *provisioner.Plan) error {
	b, err := xml.MarshalIndent(junitReport(p), "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append([]byte(xml.Header), append(b, '\n')...), 0o644); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	return os.Rename(tmp, path)
}
