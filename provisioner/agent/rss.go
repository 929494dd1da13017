package agent

import "syscall"

// PeakRSS returns this process's peak resident set in bytes (0 when unknown).
func PeakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return int64(ru.Maxrss) * 1024 // kilobytes on Linux
}

// CPU returns the CPU time, user and system, in microseconds, of this process and of the
// commands it ran and waited for. The process's own time includes the start script's shell
// it was exec'ed from, and its commands' time the start script's commands: together, all the
// host spent on the session but sshd itself (--stats shows it).
func CPU() (self, children int64) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		self = micros(ru)
	}
	if syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru) == nil {
		children = micros(ru)
	}
	return self, children
}

func micros(ru syscall.Rusage) int64 {
	return ru.Utime.Sec*1e6 + int64(ru.Utime.Usec) + ru.Stime.Sec*1e6 + int64(ru.Stime.Usec)
}
