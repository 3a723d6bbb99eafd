package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"faktura/panel/config"
	"faktura/panel/core/automation"
)

func (e *env) migrateCmd() *cobra.Command {
	var status bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations (--status lists them)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.loadConfig()
			if err != nil {
				return err
			}
			a, err := openApp(cmd.Context(), c, e.modules, e.stderr)
			if err != nil {
				return err
			}
			defer a.Close()
			if status {
				st, err := a.DB.Status(cmd.Context(), a.MigrationSets())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				for _, s := range st {
					state := "pending"
					if s.Applied {
						state = "applied"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Set, s.File, state)
				}
				return tw.Flush()
			}
			done, err := a.DB.Migrate(cmd.Context(), a.MigrationSets(), a.Log)
			for _, m := range done {
				fmt.Fprintf(e.stdout, "applied %s/%s\n", m.Set, m.File)
			}
			if err != nil {
				return err
			}
			if len(done) == 0 {
				fmt.Fprintf(e.stdout, "%s is up to date\n", a.DB.Name)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&status, "status", false, "list migrations and whether each is applied")
	return cmd
}

// stepsFailed is returned when a daily run finished with a failed step.
type stepsFailed struct{ n int }

func (s stepsFailed) Error() string { return fmt.Sprintf("%d step(s) of the daily run failed", s.n) }

func (e *env) runCmd() *cobra.Command {
	var at string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the daily automation once as of a date (idempotent)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.loadConfig()
			if err != nil {
				return err
			}
			day, err := runDate(at, c)
			if err != nil {
				return usageError{err}
			}
			a, err := e.open(cmd.Context(), migrateOnStart)
			if err != nil {
				return err
			}
			defer a.Close()
			sum, err := a.Runner.Run(cmd.Context(), day, automation.TriggerCLI)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(sum); err != nil {
					return err
				}
			} else {
				printSummary(e.stdout, sum)
			}
			if sum.Status != "ok" {
				failed := 0
				for _, s := range sum.Steps {
					if s.Status != "ok" {
						failed++
					}
				}
				return stepsFailed{failed}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "the date to run as of, YYYY-MM-DD (default: today in automation.time_zone)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON")
	return cmd
}

func runDate(at string, c config.Config) (automation.Date, error) {
	if at == "" {
		return automation.DateOf(nowIn(c)), nil
	}
	return automation.ParseDate("--at", at)
}

func printSummary(w io.Writer, s automation.Summary) {
	fmt.Fprintf(w, "daily run as of %s: %s\n", s.Date, s.Status)
	if len(s.Steps) == 0 {
		fmt.Fprintln(w, "no steps registered")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, st := range s.Steps {
		var counts []string
		for _, k := range slices.Sorted(maps.Keys(st.Counts)) {
			counts = append(counts, fmt.Sprintf("%s=%d", k, st.Counts[k]))
		}
		detail := strings.Join(counts, " ")
		if st.Error != "" {
			detail = "error: " + st.Error
		}
		fmt.Fprintf(tw, "  %s\t%s\t%dms\t%s\n", st.Name, st.Status, st.DurationMS, detail)
	}
	tw.Flush()
}

func (e *env) eventsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "events", Short: "Inspect and retry outbox events"}
	var asJSON bool
	failed := &cobra.Command{
		Use:   "failed",
		Short: "List parked events (delivery failed outbox.max_attempts times)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := e.open(cmd.Context(), noMigrate)
			if err != nil {
				return err
			}
			defer a.Close()
			recs, err := a.Bus.Parked(cmd.Context(), 1000)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(e.stdout).Encode(recs)
			}
			if len(recs) == 0 {
				fmt.Fprintln(e.stdout, "no failed events")
				return nil
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tEVENT\tAGGREGATE\tOCCURRED\tATTEMPTS\tLAST ERROR")
			for _, r := range recs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", r.ID, r.Name, r.Aggregate, r.OccurredAt.Format("2006-01-02 15:04:05Z"), r.Attempts, oneLine(r.LastError))
			}
			return tw.Flush()
		},
	}
	failed.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	retry := &cobra.Command{
		Use:   "retry ID...",
		Short: "Put parked events back in line with a fresh attempt budget",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := e.open(cmd.Context(), noMigrate)
			if err != nil {
				return err
			}
			defer a.Close()
			var errs []error
			for _, id := range args {
				if err := a.Bus.Retry(cmd.Context(), id); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintf(e.stdout, "event %s queued for delivery\n", id)
			}
			return errors.Join(errs...)
		},
	}
	cmd.AddCommand(failed, retry)
	return cmd
}

func noMigrate(config.Config) bool { return false }

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}
