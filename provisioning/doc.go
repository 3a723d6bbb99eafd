// Package provisioning is the hosting the panel sells: reseller accounts
// (with limits), hosting accounts (package, quotas, server, system user),
// domains and subdomains, and the servers that carry them.
//
// Every change follows one pattern. A request checks its input and the
// caller's scope, then in one transaction records the intent: the
// resource's target state and a job for the server's driver. A Worker
// claims the job, calls the driver outside any transaction, and records
// the result in a second transaction that moves the resource to its new
// state and writes the lifecycle event (AccountCreated, DomainAdded,
// AccountSuspended...) to the outbox. Driver calls are idempotent, so a
// crash between the call and the record only repeats the call. A failing
// call is retried with backoff; its message stays on the resource until a
// later attempt succeeds. Jobs of one account run in order; a broken
// server delays only its own accounts.
//
// Reseller accounts have no driver: their transitions commit at once, and
// suspending one suspends its clients' hosting accounts with the reason
// reseller_suspended, which unsuspending it undoes (and nothing else).
//
// The package imports only the core; drivers register themselves by name
// (see RegisterDriver) and main imports the built-in set.
package provisioning
