package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
)

// cliContext makes the command line the actor of what it changes.
func cliContext(ctx context.Context) context.Context {
	user := os.Getenv("SUDO_USER")
	if user == "" {
		user = os.Getenv("USER")
	}
	return audit.WithActor(ctx, audit.Actor{Label: strings.TrimSpace("cli " + user)})
}

func (e *env) userCmd() *cobra.Command {
	user := &cobra.Command{Use: "user", Short: "Manage panel users"}
	var in identity.CreateUserInput
	var role, passwordFile string
	create := verb("create", "Create a user (the first admin: --role admin); the password comes from a prompt or --password-file", func(cmd *cobra.Command) error {
		in.Role = identity.Role(role)
		if in.TenantID == 0 {
			in.TenantID = tenancy.OperatorID
		}
		pw, err := e.readPassword(passwordFile)
		if err != nil {
			return err
		}
		in.Password = pw
		if err := in.Validate(); err != nil {
			return err
		}
		return e.using(cmd.Context(), migrateOnStart, func(a *App) error {
			u, err := a.Identity.CreateUser(cliContext(cmd.Context()), identity.SystemCaller("cli"), in)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "created user %d %s (%s) in tenant %d\n", u.ID, u.Email, u.Role, u.TenantID)
			return nil
		})
	})
	f := create.Flags()
	f.StringVar(&in.Email, "email", "", "sign-in e-mail address (required)")
	f.StringVar(&in.Name, "name", "", "display name")
	f.StringVar(&role, "role", "", "operator: admin, billing, support, auditor; reseller: owner, staff; client: owner, user (required)")
	f.StringVar(&in.Language, "language", "en", "en, de, fr, it or da")
	f.Int64Var(&in.TenantID, "tenant", 0, "tenant id (default: the operator)")
	f.StringVar(&passwordFile, "password-file", "", "read the password from this file's first line ('-' for stdin) instead of prompting")
	create.MarkFlagRequired("email")
	create.MarkFlagRequired("role")
	user.AddCommand(create)
	return user
}

// readPassword reads the password from a file, from a terminal prompt
// (twice, to catch typos) or from a piped stdin line.
func (e *env) readPassword(file string) (string, error) {
	switch {
	case file == "-":
		return firstLine(os.Stdin)
	case file != "":
		f, err := os.Open(file)
		if err != nil {
			return "", usageError{fmt.Errorf("--password-file: %w", err)}
		}
		defer f.Close()
		return firstLine(f)
	case !term.IsTerminal(int(os.Stdin.Fd())):
		return firstLine(os.Stdin)
	}
	fmt.Fprint(e.stderr, "Password: ")
	a, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(e.stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	fmt.Fprint(e.stderr, "Repeat password: ")
	b, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(e.stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if string(a) != string(b) {
		return "", core.Invalid("password", "the two entries differ")
	}
	return string(a), nil
}

func firstLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (e *env) apikeyCmd() *cobra.Command {
	keys := &cobra.Command{Use: "apikey", Short: "Manage API keys"}
	var in identity.CreateKeyInput
	var role string
	var reseller int64
	create := verb("create", "Create an API key for the operator, a reseller (--reseller ID) or any tenant (--tenant ID); prints the token once", func(cmd *cobra.Command) error {
		in.Role = identity.Role(role)
		if reseller != 0 && in.TenantID != 0 {
			return usageError{errors.New("give --reseller or --tenant, not both")}
		}
		return e.using(cmd.Context(), migrateOnStart, func(a *App) error {
			ctx, sys := cliContext(cmd.Context()), identity.SystemCaller("cli")
			if reseller != 0 {
				t, err := a.Identity.GetTenant(ctx, sys, reseller)
				if err != nil || t.Kind != tenancy.KindReseller {
					return core.Invalid("reseller", "no reseller with id %d", reseller)
				}
				in.TenantID = reseller
			}
			k, token, err := a.Identity.CreateAPIKey(ctx, sys, in)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "created API key %d %q (%s) for tenant %d; the token below is shown only now\n", k.ID, k.Name, k.Role, k.TenantID)
			fmt.Fprintln(e.stdout, token)
			return nil
		})
	})
	f := create.Flags()
	f.StringVar(&role, "role", "", "the key's role in its tenant, e.g. admin or auditor (operator), owner or staff (reseller) (required)")
	f.StringVar(&in.Name, "name", "cli", "a name to recognise the key by")
	f.Int64Var(&reseller, "reseller", 0, "create the key for this reseller")
	f.Int64Var(&in.TenantID, "tenant", 0, "create the key for this tenant (default: the operator)")
	create.MarkFlagRequired("role")
	keys.AddCommand(create)
	return keys
}
