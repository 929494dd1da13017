package inventory

// Options are the inputs of a load that do not come from the inventory directory.
type Options struct {
	// Vars are -var NAME=VALUE settings: they win over every other source.
	Vars map[string]string
	// VarFiles are -var-file paths (relative to the working directory), applied in order.
	VarFiles []string
	// Getenv reads the environment (BERTH_VAR_x and the env function); nil means no environment.
	Getenv func(string) string
	// List lists the hosts of source blocks. nil leaves sources unlisted: the load is then
	// offline (validate) and selectors that match nothing are not reported, since the
	// source's hosts may be the ones they mean.
	List Lister
}

func (o Options) getenv(name string) string {
	if o.Getenv == nil {
		return ""
	}
	return o.Getenv(name)
}
