package lease

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestDead(t *testing.T) {
	host, _ := os.Hostname()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	gone := fmt.Sprintf("%s:%d", host, cmd.Process.Pid) // exited and reaped
	cases := []struct {
		name   string
		holder string
		want   bool
	}{
		{"this process", Node(), false},
		{"this process with a token", Node() + "/run-7", false},
		{"a finished process here", gone + "/run-7", true},
		{"the init process", host + ":1", false},
		{"another host", "elsewhere.example:1", false},
		{"no pid", host, false},
		{"garbage pid", host + ":x", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Dead(tc.holder); got != tc.want {
				t.Errorf("Dead(%q) = %v, want %v", tc.holder, got, tc.want)
			}
		})
	}
}

func TestExpired(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	other := "elsewhere.example:42"
	if Expired(other, now.Add(-time.Minute), now, 2*time.Minute) {
		t.Error("a lease renewed a minute ago expired with a two-minute ttl")
	}
	if !Expired(other, now.Add(-3*time.Minute), now, 2*time.Minute) {
		t.Error("a lease renewed three minutes ago did not expire with a two-minute ttl")
	}
}
