package agent

import (
	"os/user"
	"strconv"
	"sync"
)

// Owner names are looked up once per id (os/user reads /etc/passwd and /etc/group in a
// static binary). An id without a name is reported as the number.
var (
	namesMu sync.Mutex
	users   = map[uint32]string{}
	groups  = map[uint32]string{}
)

func userName(uid uint32) string {
	return cachedName(users, uid, func(id string) (string, error) {
		u, err := user.LookupId(id)
		if err != nil {
			return "", err
		}
		return u.Username, nil
	})
}

func groupName(gid uint32) string {
	return cachedName(groups, gid, func(id string) (string, error) {
		g, err := user.LookupGroupId(id)
		if err != nil {
			return "", err
		}
		return g.Name, nil
	})
}

func cachedName(cache map[uint32]string, id uint32, lookup func(string) (string, error)) string {
	namesMu.Lock()
	defer namesMu.Unlock()
	if n, ok := cache[id]; ok {
		return n
	}
	s := strconv.FormatUint(uint64(id), 10)
	n, err := lookup(s)
	if err != nil || n == "" {
		n = s
	}
	cache[id] = n
	return n
}

// lookupUID resolves an owner given as a name or a number.
func lookupUID(name string) (int, error) {
	if n, err := strconv.Atoi(name); err == nil {
		return n, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(u.Uid)
}

// lookupGID resolves a group given as a name or a number.
func lookupGID(name string) (int, error) {
	if n, err := strconv.Atoi(name); err == nil {
		return n, nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(g.Gid)
}
