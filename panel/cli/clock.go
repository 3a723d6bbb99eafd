package cli

import (
	"time"

	"faktura/panel/config"
)

// nowIn is the wall clock in the automation time zone: the CLI's only use of
// the real time, for the default of --at.
func nowIn(c config.Config) time.Time { return time.Now().In(c.Location()) }
