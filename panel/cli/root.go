package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"faktura/panel/config"
	"faktura/panel/core"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1 // the command ran and failed (database down, a step failed)
	ExitUsage   = 2 // bad flags, arguments or configuration
)

// usageError marks errors the user fixes by changing the command or config.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

type env struct {
	wire       Wire
	configPath string
	stdout     io.Writer
	stderr     io.Writer
	environ    []string
}

// Main runs the faktura command with args and returns the exit code.
func Main(ctx context.Context, args []string, wire Wire, stdout, stderr io.Writer) int {
	e := &env{wire: wire, stdout: stdout, stderr: stderr, environ: os.Environ()}
	root := &cobra.Command{
		Use:           "faktura",
		Short:         "Web-hosting control panel with built-in billing",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&e.configPath, "config", "", "config file (default: $FAKTURA_CONFIG, else ./config.yaml if present)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(e.serveCmd(), e.migrateCmd(), e.runCmd(), e.eventsCmd(), e.reconcileCmd(), e.userCmd(), e.apikeyCmd())
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	printError(stderr, err)
	var ue usageError
	if errors.As(err, &ue) || core.Kind(err) == core.ErrInvalid || strings.HasPrefix(err.Error(), "required flag") {
		return ExitUsage
	}
	return ExitFailure
}

func printError(w io.Writer, err error) {
	var ve *core.ValidationError
	if errors.As(err, &ve) {
		fmt.Fprintf(w, "faktura: %sinvalid input:\n", strings.TrimSuffix(err.Error(), ve.Error()))
		for _, k := range slices.Sorted(maps.Keys(ve.Fields)) {
			fmt.Fprintf(w, "  %s: %s\n", k, ve.Fields[k])
		}
		return
	}
	fmt.Fprintf(w, "faktura: %v\n", err)
}

// loadConfig reads and validates the configuration; a bad one is a usage
// error and nothing has been touched yet.
func (e *env) loadConfig() (config.Config, error) {
	c, path, err := config.Load(e.configPath, e.environ)
	if err != nil {
		where := "defaults and environment"
		if path != "" {
			where = path
		}
		return c, usageError{fmt.Errorf("configuration (%s): %w", where, err)}
	}
	return c, nil
}

// verb is a command without arguments that runs run.
func verb(use, short string, run func(cmd *cobra.Command) error) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd) }}
}

// using opens the app (migrating per migrate), runs fn with it and
// closes it.
func (e *env) using(ctx context.Context, migrate func(config.Config) bool, fn func(a *App) error) error {
	a, err := e.open(ctx, migrate)
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a)
}

// open loads the config, opens the database, and migrates or checks the
// schema before wiring the modules.
func (e *env) open(ctx context.Context, migrate func(config.Config) bool) (*App, error) {
	c, err := e.loadConfig()
	if err != nil {
		return nil, err
	}
	a, err := openApp(ctx, c, e.wire, e.stderr)
	if err != nil {
		return nil, err
	}
	if err := a.prepare(ctx, migrate(c)); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func migrateOnStart(c config.Config) bool { return c.Database.MigrateOnStart }
