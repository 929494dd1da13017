package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/secret"
)

// Spec is one registry login on one host.
type Spec struct {
	Server   string // "registry.example.com:5000", as image references name it
	Username string
	Password secret.Bytes
}

// Resource keeps a host logged in to one registry.
type Resource struct{ spec Spec }

var _ modules.Resource = (*Resource)(nil)

// New returns the resource for spec.
func New(s Spec) *Resource { return &Resource{spec: s} }

// Address implements modules.Resource.
func (r *Resource) Address() string { return "registry." + r.spec.Server }

// configPath is the Docker client configuration of whoever runs the command: the user
// compose runs as, since berth runs compose and these commands with the same become.
const configPath = `"${DOCKER_CONFIG:-$HOME/.docker}/config.json"`

// readConfig prints the configuration's mode on the first line, then its content; nothing
// when there is none. The content holds credentials: it is parsed in memory, never shown.
const readConfig = `f=` + configPath + `; if [ -f "$f" ]; then stat -c %a "$f"; cat "$f"; fi`

// Probes implements modules.Resource.
func (r *Resource) Probes() []modules.Probe {
	return []modules.Probe{modules.CmdProbe("sh", "-c", readConfig)}
}

// Observed is what the host's client configuration says about this registry.
type Observed struct {
	Exists bool   // there is a configuration file
	Mode   string // its permission bits, octal
	Helper string // a credential helper keeps this registry's credentials ("" when none)
	// AuthSum is the SHA-256 of the stored "auth" (base64 of user:password); zero when the
	// host holds no credentials for the registry.
	AuthSum [32]byte
	Invalid bool // the file is not JSON
}

// Diff implements modules.Resource.
func (r *Resource) Diff(obs []modules.ProbeResult) []modules.Change {
	o := Parse(obs[0].Stdout, r.spec.Server)
	c := modules.Change{Address: r.Address(), Op: "login", Sensitive: true,
		After: fmt.Sprintf("%s as %s (sensitive)", r.spec.Server, r.spec.Username), Observed: o}
	want := sha256.Sum256([]byte(Auth(r.spec.Username, r.spec.Password)))
	switch {
	case o.Helper != "":
		return nil // the helper holds them; berth cannot read them (docs/registries.md)
	case o.Invalid:
		c.Action, c.Reason, c.Before = modules.Update, "the Docker client configuration is not valid JSON", "invalid"
	case o.AuthSum == [32]byte{}:
		c.Action, c.Reason = modules.Create, "not logged in"
	case subtle.ConstantTimeCompare(o.AuthSum[:], want[:]) != 1:
		c.Action, c.Reason, c.Before = modules.Update, "the stored credentials differ", "(sensitive)"
	case o.Mode != "600":
		c.Action, c.Reason, c.Before = modules.Update, "the Docker client configuration is mode "+o.Mode+", want 600", "(sensitive)"
	default:
		return nil
	}
	return []modules.Change{c}
}

// Auth is the "auth" value Docker stores for a login: base64 of user:password.
func Auth(user string, password secret.Bytes) string {
	return base64.StdEncoding.EncodeToString(append([]byte(user+":"), password...))
}

// Parse reads readConfig's output for server. Only a hash of the credentials is kept.
func Parse(out []byte, server string) Observed {
	mode, content, ok := bytes.Cut(out, []byte("\n"))
	if !ok || len(bytes.TrimSpace(out)) == 0 {
		return Observed{}
	}
	o := Observed{Exists: true, Mode: string(bytes.TrimSpace(mode))}
	var cfg struct {
		Auths       map[string]struct{ Auth string } `json:"auths"`
		CredsStore  string                           `json:"credsStore"`
		CredHelpers map[string]string                `json:"credHelpers"`
	}
	if err := json.Unmarshal(content, &cfg); err != nil {
		o.Invalid = true
		return o
	}
	o.Helper = cfg.CredHelpers[server]
	if o.Helper == "" {
		o.Helper = cfg.CredsStore
	}
	if a := cfg.Auths[server].Auth; a != "" {
		o.AuthSum = sha256.Sum256([]byte(a))
	}
	return o
}

// login runs docker login with the password on stdin, then makes sure the configuration is
// private (a file created before by someone else keeps its mode through docker's rewrite).
const login = `docker login --username "$1" --password-stdin "$2" >/dev/null && chmod 600 ` + configPath

// Apply implements modules.Resource: the registry checks the credentials during the login,
// so a wrong password fails here, naming the registry and the host.
func (r *Resource) Apply(ctx context.Context, h modules.Host, c modules.Change) error {
	res, err := h.Run(ctx, modules.Command{
		Argv:  []string{"sh", "-c", login, "sh", r.spec.Username, r.spec.Server},
		Stdin: bytes.NewReader(r.spec.Password),
	})
	doing := fmt.Sprintf("log in to registry %s as %s", r.spec.Server, r.spec.Username)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", doing, h.Name(), err)
	}
	if res.ExitCode != 0 {
		return &modules.ExitError{Host: h.Name(), Doing: doing, Result: res}
	}
	return nil
}
