package inventory

import (
	"bytes"
	"fmt"
	"regexp"

	"github.com/compose-spec/compose-go/v2/dotenv"
)

var dotenvLine = regexp.MustCompile(`^line (\d+)`)

// parseDotEnv parses env file content with compose's parser. Its errors can quote the
// offending line, which may hold a secret, so only the line number is kept.
func parseDotEnv(b []byte) (map[string]string, error) {
	m, err := dotenv.Parse(bytes.NewReader(b))
	if err != nil {
		if g := dotenvLine.FindStringSubmatch(err.Error()); g != nil {
			return nil, fmt.Errorf("the env file is not valid at line %s (the line is not shown: it may hold a secret)", g[1])
		}
		return nil, fmt.Errorf("the env file is not valid (details not shown: they may hold a secret)")
	}
	return m, nil
}
