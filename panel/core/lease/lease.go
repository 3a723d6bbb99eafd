// Package lease names this process and tells whether the holder of a
// lease (a claimed piece of work, a running daily run) can still be
// there. A holder is "host:pid" plus anything after a slash. A holder on
// this host whose process is gone has lost its lease at once; any other
// holder loses it when its heartbeat is older than the lease's length.
package lease

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Node is this process's name: "host:pid".
func Node() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// Dead reports whether holder names a process on this host that no longer
// exists. It answers false when it cannot tell (another host, no pid).
func Dead(holder string) bool {
	node, _, _ := strings.Cut(holder, "/")
	i := strings.LastIndexByte(node, ':')
	if i < 0 {
		return false
	}
	host, _ := os.Hostname()
	pid, err := strconv.Atoi(node[i+1:])
	if node[:i] != host || err != nil || pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// Expired reports whether a lease taken by holder, last renewed at
// heartbeat, has lapsed at now: its process is gone, or it was not
// renewed within ttl.
func Expired(holder string, heartbeat, now time.Time, ttl time.Duration) bool {
	return Dead(holder) || now.Sub(heartbeat) > ttl
}
