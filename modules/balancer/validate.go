package balancer

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"sync"
)

// The rules compile on first use: their bounded repetitions cost 1.5 ms at every start of
// berth (and of its agent on each host), which rarely validates a balancer.
var (
	// nameRule keeps names to characters HAProxy takes unquoted and that cannot start a
	// comment, an argument or a new line.
	nameRule   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$`) })
	hostRule   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?$`) })
	methodRule = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Z]{1,16}$`) })
	// pathRule is an absolute URI path and query without '#', '$', quotes, backslashes or
	// spaces: HAProxy would read them as a comment, a variable or a second argument.
	pathRule = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^/[A-Za-z0-9._~!&()*+,;=:@%/?-]{0,1000}$`) })
	// certRule is a certificate file: an absolute path HAProxy reads as one argument.
	certRule = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(/[A-Za-z0-9_.:-]+)+$`) })
)

// validate returns every problem of cfg, in a stable order, joined.
func validate(cfg Config) error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if cfg.Name != "" && !nameRule().MatchString(cfg.Name) {
		add("balancer %q: %w", cfg.Name, errName)
	}
	if len(cfg.Frontends) == 0 {
		add("no frontend: HAProxy would not start without a listener")
	}
	backends := map[string]bool{}
	for _, b := range cfg.Backends {
		if backends[b.Name] {
			add("backend %q is defined twice", b.Name)
		}
		backends[b.Name] = true
		for _, err := range backendErrors(b) {
			add("backend %q: %w", b.Name, err)
		}
	}
	names, binds := map[string]bool{}, map[string]string{}
	for _, f := range cfg.Frontends {
		if names[f.Name] {
			add("frontend %q is defined twice", f.Name)
		}
		names[f.Name] = true
		if prev, ok := binds[f.Bind]; ok {
			add("frontends %q and %q both bind %q", prev, f.Name, f.Bind)
		}
		binds[f.Bind] = f.Name
		if f.RedirectHTTP != "" {
			if prev, ok := binds[f.RedirectHTTP]; ok {
				add("frontends %q and %q both bind %q", prev, RedirectName(f.Name), f.RedirectHTTP)
			}
			binds[f.RedirectHTTP] = RedirectName(f.Name)
		}
		for _, err := range frontendErrors(f, backends) {
			add("frontend %q: %w", f.Name, err)
		}
	}
	return errors.Join(errs...)
}

func frontendErrors(f Frontend, backends map[string]bool) []error {
	var errs []error
	if !nameRule().MatchString(f.Name) {
		errs = append(errs, errName)
	}
	if _, err := bindAddress(f.Bind); err != nil {
		errs = append(errs, err)
	}
	if err := checkMode(f.Mode); err != nil {
		errs = append(errs, err)
	}
	if !backends[f.Backend] {
		errs = append(errs, fmt.Errorf("backend %q is not defined", f.Backend))
	}
	if f.Certificate != "" && (len(f.Certificate) > 1000 || !certRule().MatchString(f.Certificate)) {
		errs = append(errs, fmt.Errorf("certificate path %q must be absolute and hold only letters, digits, '_', '.', ':', '-' and '/'", f.Certificate))
	}
	if f.RedirectHTTP != "" {
		if f.Certificate == "" {
			errs = append(errs, fmt.Errorf("redirect from %q to HTTPS needs a certificate", f.RedirectHTTP))
		}
		if _, err := bindAddress(f.RedirectHTTP); err != nil {
			errs = append(errs, fmt.Errorf("redirect: %w", err))
		}
	}
	return errs
}

var errName = errors.New("names may hold letters, digits, '_', '.', ':' and '-', and start with a letter or digit")

func checkMode(m Mode) error {
	if m != "" && m != HTTP && m != TCP {
		return fmt.Errorf("mode %q is not http or tcp", m)
	}
	return nil
}

// bindAddress checks "[ADDRESS]:PORT" and returns it normalised.
func bindAddress(bind string) (string, error) {
	host, port, err := net.SplitHostPort(bind)
	if err != nil {
		return "", fmt.Errorf("bind %q: must be [ADDRESS]:PORT", bind)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return "", fmt.Errorf("bind %q: port must be a number within 1-65535", bind)
	}
	if host != "" && host != "*" && net.ParseIP(host) == nil && !hostRule().MatchString(host) {
		return "", fmt.Errorf("bind %q: %q is not an IP address or host name", bind, host)
	}
	return net.JoinHostPort(host, port), nil
}

func backendErrors(b Backend) []error {
	var errs []error
	if !nameRule().MatchString(b.Name) {
		errs = append(errs, errName)
	}
	if err := checkMode(b.Mode); err != nil {
		errs = append(errs, err)
	}
	if b.Check != nil {
		errs = append(errs, checkErrors(*b.Check)...)
	}
	seen := map[string]bool{}
	for _, s := range b.Servers {
		if seen[s.Name] {
			errs = append(errs, fmt.Errorf("server %q is listed twice", s.Name))
		}
		seen[s.Name] = true
		if err := serverError(s); err != nil {
			errs = append(errs, fmt.Errorf("server %q: %w", s.Name, err))
		}
	}
	return errs
}

func checkErrors(c HTTPCheck) []error {
	var errs []error
	if c.Method != "" && !methodRule().MatchString(c.Method) {
		errs = append(errs, fmt.Errorf("health check method %q is not an HTTP method", c.Method))
	}
	if c.Path != "" && !pathRule().MatchString(c.Path) {
		errs = append(errs, fmt.Errorf("health check path %q must start with / and hold no spaces, quotes, '#', '$' or '\\'", c.Path))
	}
	if c.Host != "" && !hostRule().MatchString(c.Host) {
		errs = append(errs, fmt.Errorf("health check host %q is not a host name", c.Host))
	}
	if c.Status != 0 && (c.Status < 100 || c.Status > 599) {
		errs = append(errs, fmt.Errorf("health check status %d is not an HTTP status", c.Status))
	}
	return errs
}

func serverError(s Server) error {
	switch {
	case !nameRule().MatchString(s.Name):
		return errName
	case net.ParseIP(s.Address) == nil && !hostRule().MatchString(s.Address):
		return fmt.Errorf("address %q is not an IP address or host name", s.Address)
	case s.Port < 1 || s.Port > 65535:
		return fmt.Errorf("port %d is not within 1-65535", s.Port)
	case s.Weight < 0 || s.Weight > 256:
		return fmt.Errorf("weight %d is not within 1-256", s.Weight)
	}
	return nil
}
