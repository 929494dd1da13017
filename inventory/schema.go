package inventory

import "github.com/hashicorp/hcl/v2"

// The schemas below are the whole inventory language: anything else is an error, and hcl
// suggests the closest known name ("Did you mean ...?").

var rootSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "variable", LabelNames: []string{"name"}},
	{Type: "locals"},
	{Type: "defaults"},
	{Type: "host", LabelNames: []string{"name"}},
	{Type: "group", LabelNames: []string{"name"}},
	{Type: "docker"},
	{Type: "syslog"},
	{Type: "stack", LabelNames: []string{"name"}},
	{Type: "balancer", LabelNames: []string{"name"}},
	{Type: "file", LabelNames: []string{"path"}},
	{Type: "directory", LabelNames: []string{"path"}},
	{Type: "package", LabelNames: []string{"name"}},
	{Type: "service", LabelNames: []string{"name"}},
	{Type: "runbook", LabelNames: []string{"name"}},
	{Type: "registry", LabelNames: []string{"server"}},
	{Type: "source", LabelNames: []string{"kind", "name"}},
	{Type: "swarm"},
}}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "type"}, {Name: "default"}, {Name: "description"}, {Name: "sensitive"}, {Name: "from_command"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "condition", Required: true}, {Name: "error_message", Required: true},
}}

var sshSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "user"}, {Name: "port"}, {Name: "identity"}, {Name: "jump"}, {Name: "known_hosts"},
	{Name: "connect_timeout"}, {Name: "transport"},
}}

var defaultsSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "become"}, {Name: "port_range"}, {Name: "stack_root"}, {Name: "apt_lock_timeout"}, {Name: "expiry_warning"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "ssh"}},
}

var hostSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "address", Required: true}, {Name: "labels"}, {Name: "vars"}, {Name: "capacity"},
		{Name: "become"}, {Name: "port_range"}, {Name: "drain"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "ssh"}},
}

var groupSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "members"}, {Name: "match"}}}

var dockerSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "hosts", Required: true}, {Name: "source"}, {Name: "daemon"},
}}

var syslogSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "hosts", Required: true}, {Name: "container_logs"}, {Name: "forward"}, {Name: "rotate"},
}}

var fileSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "hosts", Required: true}, {Name: "content"}, {Name: "source"}, {Name: "mode"},
	{Name: "owner"}, {Name: "group"}, {Name: "sensitive"},
}}

var directorySchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "hosts", Required: true}, {Name: "mode"}, {Name: "owner"}, {Name: "group"},
}}

var packageSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "hosts", Required: true}, {Name: "names", Required: true}, {Name: "state"},
}}

var serviceSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "hosts", Required: true}, {Name: "enabled"}, {Name: "state"}, {Name: "restart_on"}, {Name: "reload"},
}}

var stackSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "compose", Required: true}, {Name: "env_file"}, {Name: "replicas"}, {Name: "images"},
		{Name: "force_recreate"}, {Name: "prune_images"}, {Name: "root"}, {Name: "profiles"}, {Name: "mode"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "place"}, {Type: "port", LabelNames: []string{"name"}}, {Type: "health"}, {Type: "resources"}, {Type: "update"},
	},
}

var placeSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "hosts", Required: true}, {Name: "spread"}}}

var portSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "container", Required: true}, {Name: "host"}, {Name: "service"}, {Name: "protocol"}, {Name: "bind"},
}}

var healthSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "timeout"}}}

var resourcesSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "cpus"}, {Name: "memory"}}}

var balancerSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "hosts", Required: true}, {Name: "image"}, {Name: "expiry_warning"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "frontend", LabelNames: []string{"name"}}},
}

var frontendSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "bind", Required: true}, {Name: "stack", Required: true}, {Name: "port", Required: true},
	{Name: "certificate"}, {Name: "certificate_file"}, {Name: "redirect_http"},
}}

var registrySchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "hosts", Required: true}, {Name: "username", Required: true}, {Name: "password", Required: true}, {Name: "ca_cert"},
}}

var runbookSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "step", LabelNames: []string{"id"}}}}
