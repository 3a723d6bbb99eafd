// Command faktura is a web-hosting control panel with billing built in.
// main hands the command line to the CLI with the composition root,
// wire (wire.go): the one place where the modules, their plugins and the
// panel's areas are put together.
package main

import (
	_ "time/tzdata" // sellers' time zones work on hosts without a zone database

	"context"
	"os"

	"faktura/panel/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], wire, os.Stdout, os.Stderr))
}
