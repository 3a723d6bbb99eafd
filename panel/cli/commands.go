package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"faktura/billing"
	"faktura/panel/config"
	"faktura/panel/core"
	"faktura/panel/core/automation"
	"faktura/panel/core/money"
)

func (e *env) migrateCmd() *cobra.Command {
	var status bool
	cmd := verb("migrate", "Apply pending database migrations (--status lists them)", func(cmd *cobra.Command) error {
		c, err := e.loadConfig()
		if err != nil {
			return err
		}
		a, err := openApp(cmd.Context(), c, e.wire, e.stderr)
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
	})
	cmd.Flags().BoolVar(&status, "status", false, "list migrations and whether each is applied")
	return cmd
}

// stepsFailed is returned when a daily run finished with a failed step.
type stepsFailed struct{ n int }

func (s stepsFailed) Error() string { return fmt.Sprintf("%d step(s) of the daily run failed", s.n) }

func (e *env) runCmd() *cobra.Command {
	var at string
	var asJSON, allowFuture, dry bool
	cmd := verb("run", "Run the daily automation once as of a date (idempotent); --dry-run shows what it would invoice", func(cmd *cobra.Command) error {
		c, err := e.loadConfig()
		if err != nil {
			return err
		}
		day, err := runDate(at, c, allowFuture || dry)
		if err != nil {
			return usageError{err}
		}
		return e.using(cmd.Context(), migrateOnStart, func(a *App) error {
			if dry {
				return e.dryRun(cmd.Context(), a, day, asJSON)
			}
			sum, err := a.Runner.Run(cmd.Context(), day, automation.TriggerCLI)
			if err != nil {
				return err
			}
			if asJSON {
				if err := writeJSON(e.stdout, sum); err != nil {
					return err
				}
			} else {
				printSummary(e.stdout, sum)
			}
			return runOutcome(sum)
		})
	})
	cmd.Flags().StringVar(&at, "at", "", "the date to run as of, YYYY-MM-DD (default: today in automation.time_zone)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON")
	cmd.Flags().BoolVar(&allowFuture, "allow-future", false, "allow --at after today (issues real invoices dated in the future)")
	cmd.Flags().BoolVar(&dry, "dry-run", false, "run the database steps in a transaction that is rolled back and list the documents they would create")
	return cmd
}

// runOutcome is the error of a run with failed steps.
func runOutcome(sum automation.Summary) error {
	failed := 0
	for _, s := range sum.Steps {
		if s.Status == automation.RunFailed {
			failed++
		}
	}
	if failed > 0 {
		return stepsFailed{failed}
	}
	return nil
}

// dryRun runs the database steps in a rolled-back transaction and prints
// the documents they would create, with the numbers they would take.
func (e *env) dryRun(ctx context.Context, a *App, day core.Date, asJSON bool) error {
	var last int64
	var docs []billing.Invoice
	sum, err := a.Runner.DryRun(ctx, day, func(ctx context.Context) error {
		var err error
		last, err = a.Billing.LastDocumentID(ctx)
		return err
	}, func(ctx context.Context) error {
		var err error
		docs, err = a.Billing.DocumentsAfter(ctx, last)
		return err
	})
	if err != nil {
		return err
	}
	if asJSON {
		if docs == nil {
			docs = []billing.Invoice{}
		}
		if err := writeJSON(e.stdout, map[string]any{"summary": sum, "documents": docs}); err != nil {
			return err
		}
		return runOutcome(sum)
	}
	printSummary(e.stdout, sum)
	printDocuments(e.stdout, docs)
	return runOutcome(sum)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printDocuments lists the documents a dry run would create.
func printDocuments(w io.Writer, docs []billing.Invoice) {
	if len(docs) == 0 {
		fmt.Fprintln(w, "would create no documents")
		return
	}
	fmt.Fprintf(w, "would create %d documents (numbers are provisional: a run takes them in the order its workers finish):\n", len(docs))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  NUMBER\tKIND\tSELLER\tCUSTOMER\tISSUED\tPERIOD\tLINES\tNET\tTAX\tTOTAL\tSTATUS")
	for _, d := range docs {
		var seller, buyer billing.Party
		json.Unmarshal([]byte(d.Seller), &seller)
		json.Unmarshal([]byte(d.Buyer), &buyer)
		num := "-"
		if d.Number != nil {
			num = *d.Number
		}
		period := "-"
		if d.PeriodStart != "" {
			period = d.PeriodStart + ".." + d.PeriodEnd
		}
		cur := money.Currency(d.Currency)
		amount := func(minor int64) string {
			return money.Money{Amount: minor, Currency: cur}.Decimal().StringFixed(cur.Exponent())
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s %s\t%s\n", num, d.Kind, seller.Name, buyer.Name, d.IssueDate, period, len(d.Lines),
			amount(d.NetMinor), amount(d.TaxMinor), amount(d.TotalMinor), d.Currency, d.Status)
	}
	tw.Flush()
}

// runDate is --at, or today in the automation time zone. A date after
// today is refused unless future is true: a run as of it would issue
// real, numbered invoices dated in the future.
func runDate(at string, c config.Config, future bool) (core.Date, error) {
	today := core.DateOf(nowIn(c))
	if at == "" {
		return today, nil
	}
	day, err := core.ParseDate("--at", at)
	if err != nil {
		return day, err
	}
	if !future && day.String() > today.String() {
		return day, core.Invalid("--at", "%s is after today (%s in %s): a run as of it would issue real invoices dated in the future; "+
			"pass --allow-future if that is meant, or --dry-run to see what it would do", day, today, c.Location())
	}
	return day, nil
}

func printSummary(w io.Writer, s automation.Summary) {
	if s.DryRun {
		fmt.Fprintf(w, "dry run as of %s: %s (rolled back: nothing was changed)\n", s.Date, s.Status)
	} else {
		fmt.Fprintf(w, "daily run as of %s: %s\n", s.Date, s.Status)
	}
	if s.Abandoned > 0 {
		fmt.Fprintf(w, "marked %d earlier run(s) abandoned (their process had died)\n", s.Abandoned)
	}
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
	failed := verb("failed", "List parked events (delivery failed outbox.max_attempts times)", func(cmd *cobra.Command) error {
		return e.using(cmd.Context(), noMigrate, func(a *App) error {
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
		})
	})
	failed.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	retry := &cobra.Command{
		Use:   "retry ID...",
		Short: "Put parked events back in line with a fresh attempt budget",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.using(cmd.Context(), noMigrate, func(a *App) error {
				var errs []error
				for _, id := range args {
					if err := a.Bus.Retry(cmd.Context(), id); err != nil {
						errs = append(errs, err)
						continue
					}
					fmt.Fprintf(e.stdout, "event %s queued for delivery\n", id)
				}
				return errors.Join(errs...)
			})
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

// reconcileCmd lists (and with --repair fixes) drift between provisioned
// resources and billing contracts.
func (e *env) reconcileCmd() *cobra.Command {
	var repair, asJSON bool
	cmd := verb("reconcile", "List resources without a contract and contracts without a resource; --repair fixes them", func(cmd *cobra.Command) error {
		return e.using(cmd.Context(), migrateOnStart, func(a *App) error {
			rep, err := a.Billing.Reconcile(cmd.Context(), a.Hosting, repair)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			for _, d := range rep.Drift {
				fmt.Fprintf(e.stdout, "%-17s %-40s %s\n", d.Kind, d.Subject, d.Detail)
			}
			verb := "would open"
			if repair {
				verb = "opened"
			}
			fmt.Fprintf(e.stdout, "%d resources checked; %s %d contracts, %s %d; %d drift lines\n", rep.Resources, verb, rep.Opened,
				map[bool]string{true: "closed", false: "would close"}[repair], rep.Closed, len(rep.Drift))
			return nil
		})
	})
	cmd.Flags().BoolVar(&repair, "repair", false, "open the missing contracts and close the orphaned ones")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}
