// Command faktura is a web-hosting control panel with billing built in.
// main only wires: the CLI loads the configuration, opens the database and
// builds the core (outbox bus, automation runner); the modules listed here
// add their migrations, event handlers and daily steps.
package main

import (
	_ "time/tzdata" // sellers' time zones work on hosts without a zone database

	"context"
	"os"

	"faktura/panel/cli"
)

// modules lists the product's modules in dependency order. Each brings its
// migrations and a Wire function; none are registered yet beyond the core.
func modules() []cli.Module {
	return nil
}

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], modules(), os.Stdout, os.Stderr))
}
