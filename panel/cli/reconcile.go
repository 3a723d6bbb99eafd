package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
)

// reconcileCmd lists (and with --repair fixes) drift between provisioned
// resources and billing contracts.
func (e *env) reconcileCmd() *cobra.Command {
	var repair, asJSON bool
	cmd := &cobra.Command{
		Use:   "reconcile",
		Short: "List resources without a contract and contracts without a resource; --repair fixes them",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := e.open(cmd.Context(), migrateOnStart)
			if err != nil {
				return err
			}
			defer a.Close()
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
		},
	}
	cmd.Flags().BoolVar(&repair, "repair", false, "open the missing contracts and close the orphaned ones")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}
