package cert

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultWarning is how long before its expiry a certificate is reported when the inventory
// does not say.
const DefaultWarning = 30 * 24 * time.Hour

// State is a certificate's standing at a given time.
type State int

const (
	Valid    State = iota // expires after the warning window
	Expiring              // expires within the warning window
	Expired               // NotAfter has passed
)

// Status judges notAfter at now: Expired once now is past it, Expiring when it falls within
// window from now. left is what remains (negative once expired).
func Status(notAfter, now time.Time, window time.Duration) (st State, left time.Duration) {
	left = notAfter.Sub(now)
	switch {
	case left < 0:
		return Expired, left
	case left <= window:
		return Expiring, left
	}
	return Valid, left
}

// Days says a duration in whole days for a message: "in 12 days", "today".
func Days(left time.Duration) string {
	d := int(left / (24 * time.Hour))
	switch {
	case d == 0 && left >= 0:
		return "within a day"
	case d == 1:
		return "in 1 day"
	case d > 1:
		return fmt.Sprintf("in %d days", d)
	case d == -1:
		return "1 day ago"
	case d < -1:
		return fmt.Sprintf("%d days ago", -d)
	}
	return "less than a day ago"
}

// ParseWindow reads a warning window: a number of days ("30d") or a Go duration ("720h").
// "0d" turns the early warning off (an expired certificate is still reported).
func ParseWindow(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(t, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 || days > 3650 {
			return 0, fmt.Errorf("%q is not a number of days: write it as \"30d\" (0 to 3650)", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(t)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a warning window: write days as \"30d\", or a duration such as \"720h\"", s)
	}
	return d, nil
}
